#!/bin/sh
# Seed corpus for the fuzz targets: a few small captures from shared/, inflated, and their
# first 16 KiB (so libFuzzer's default -max_len still sees whole events).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shared=${SCAPKIT_SHARED:-$here/../../shared}
if [ ! -d "$shared/captures" ]; then
    echo "skipped: seed corpus ($shared/captures not found)" >&2
    exit 0
fi
for target in read prefix; do
    out=$here/corpus/$target
    mkdir -p "$out"
    for name in falco_cat_write libs_e2e_test_ipv6_client libs_e2e_curl_google \
        falco_syscall bencer_ex0_nginx; do
        src=$shared/captures/$name.scap
        [ -f "$src" ] || continue
        # gzip -dc passes plain files through with -f.
        gzip -dcf "$src" > "$out/$name"
        head -c 16384 "$out/$name" > "$out/$name.16k"
    done
done
echo "seeded $(ls "$here/corpus/read" | wc -l) files into $here/corpus/{read,prefix}"
