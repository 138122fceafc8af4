# Sourced by fuzz/run.sh and fuzz/campaign.sh.
#
# fuzz_options NAME: prints the libFuzzer flags of fuzz/NAME.options, the
# "key = value" lines of its [libfuzzer] section (OSS-Fuzz's format), as
# -key=value words; nothing when there is no such file.  Each target sets
# there what its input needs (max_len: libFuzzer's default is the largest
# seed, which makes a line parser read kilobytes per input for nothing).
fuzz_options() {
    local f
    f=$(dirname "${BASH_SOURCE[0]}")/$1.options
    [ -f "$f" ] || return 0
    awk '/^[ \t]*\[/ { sec = $0; gsub(/[][ \t]/, "", sec); next }
         sec == "libfuzzer" && /^[ \t]*[a-z_]+[ \t]*=/ {
             k = $0; sub(/[ \t]*=.*/, "", k); gsub(/[ \t]/, "", k)
             v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
             printf "-%s=%s ", k, v }' "$f"
}
