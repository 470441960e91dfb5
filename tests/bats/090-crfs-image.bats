#!/usr/bin/env bats
# crfs-image: show, json and verify, on good and bad images.

load helpers/common

setup_file() {
	crfs_setup_file
	GOOD=$BATS_FILE_TMPDIR/good.img
	if crfs_has_image; then
		crfs_make_image "$GOOD"
	fi
	export GOOD
}
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

img() {
	"$CRFS_BIN/crfs-image" "$@"
}

# img_forge IN OUT RULE: the image IN made to break one rule of
# img-check.c, its checksums redone, so that only the rule can refuse it.
img_forge() {
	img_py '
img = bytearray(open(sys.argv[1], "rb").read())
rule, recs = sys.argv[3], records(img)
def nth(rtype, i=0):
    return [r for r in recs if r[1] == rtype][i]
# Payload offsets of the fields (struct crfs_pages, crfs_creds, crfs_task,
# crfs_vma): the address of a PAGES record, uid, rlim[3], a mapping end.
PAGES_ADDR, CREDS_UID, TASK_RLIM, VMA_END = 8, 8, 96, 16
THREAD_ROBUST_LEN = 72	# struct crfs_thread: robust_list_len
if rule == "pages-wrap":
    off, _, n = nth(REC_PAGES)
    struct.pack_into("<Q", img, off + 16 + PAGES_ADDR, 0xfffffffffffff000)
elif rule == "pages-outside":
    off, _, n = nth(REC_PAGES)
    struct.pack_into("<Q", img, off + 16 + PAGES_ADDR, 0x1000)
elif rule == "uid":
    off, _, n = nth(REC_CREDS)
    struct.pack_into("<I", img, off + 16 + CREDS_UID, 0xffffffff)
elif rule == "rlimit":
    off, _, n = nth(REC_TASK)
    struct.pack_into("<QQ", img, off + 16 + TASK_RLIM + 3 * 16, 2 << 20, 1 << 20)
elif rule == "vma-unaligned":
    off, _, n = nth(REC_VMA, 1)
    end = struct.unpack_from("<Q", img, off + 16 + VMA_END)[0]
    struct.pack_into("<Q", img, off + 16 + VMA_END, end - 16)
elif rule == "robust-len":
    # Not a rule of img-check.c: set_robust_list() refuses the length
    # at restore, a late call that runs in a batch (restore-queue.c).
    off, _, n = nth(REC_THREAD)
    struct.pack_into("<Q", img, off + 16 + THREAD_ROBUST_LEN, 25)
else:
    sys.exit("img_forge: no rule " + rule)
struct.pack_into("<I", img, off + 4, 0)
struct.pack_into("<I", img, off + 4, crc32c(bytes(img[off:off + 16 + n])))
open(sys.argv[2], "wb").write(img)
' "$@"
}

# refused_alike IMAGE REGEXP: verify refuses IMAGE with a reason matching
# REGEXP, and a restore of it fails with that same reason, leaving the
# container empty.
refused_alike() {
	local img=$1 re=$2 reason ct

	run ! img verify "$img"
	assert_output --regexp "$re"
	reason=${output#"crfs-image: $img: "}
	ct=$(crfs_mkct forged)
	run ! crfs_restore "$ct" "$img"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct/state"
	run -0 ct_file "$ct" error
	assert_output --partial "$reason"
	run -0 ct_file "$ct" state
	assert_output "empty"
	run -0 ct_file "$ct" procs
	assert_output ""
	rmdir "$CRFS_MNT/$ct"
}

@test "show summarizes a good image: its pid and command" {
	run -0 img show "$GOOD"
	assert_output --partial "$(cat "$GOOD.pid")"
	assert_output --partial "zdtm-counter"
}

@test "show reads a pipe on stdin, the same as the file (but its name)" {
	run -0 bash -c "'$CRFS_BIN/crfs-image' show '$GOOD' | grep -v '^image:'"
	want=$output
	run -0 bash -c "cat '$GOOD' | '$CRFS_BIN/crfs-image' show | grep -v '^image:'"
	assert_output "$want"
	run -0 bash -c "cat '$GOOD' | '$CRFS_BIN/crfs-image' show - | grep -v '^image:'"
	assert_output "$want"
}

@test "json prints valid JSON holding the pid and the command" {
	img json "$GOOD" >"$BATS_TEST_TMPDIR/good.json"
	run -0 python3 -m json.tool "$BATS_TEST_TMPDIR/good.json"
	run -0 grep -c . "$BATS_TEST_TMPDIR/good.json"
	run -0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
pid, comm = int(sys.argv[2]), sys.argv[3]
found = {"pid": False, "comm": False}
def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "pid" and v == pid:
                found["pid"] = True
            if v == comm:
                found["comm"] = True
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(doc)
missing = [k for k, v in found.items() if not v]
if missing:
    sys.exit("not in the JSON: " + ", ".join(missing))
' "$BATS_TEST_TMPDIR/good.json" "$(cat "$GOOD.pid")" zdtm-counter
}

@test "json of two checkpoints of a frozen container differ only in the time and id" {
	ct=$(crfs_mkct ct)
	zdtm_start "$ct" zdtm-counter
	ct_write "$ct" state freeze
	wait_frozen "$ct"
	img json "$CRFS_MNT/$ct/image" >"$BATS_TEST_TMPDIR/a.json"
	img json "$CRFS_MNT/$ct/image" >"$BATS_TEST_TMPDIR/b.json"
	run -0 python3 -c '
import json, sys
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items()
                if "time" not in k and k not in ("crc", "image_id")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
a, b = (strip(json.load(open(f))) for f in sys.argv[1:3])
if a != b:
    sys.exit("the JSON of the two images differs beyond the time")
' "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
	ct_write "$ct" state thaw
	zdtm_finish
}

@test "verify accepts a good image, from a file and from a pipe" {
	run -0 img verify "$GOOD"
	run -0 bash -c "cat '$GOOD' | '$CRFS_BIN/crfs-image' verify"
}

@test "verify rejects truncated images, saying so" {
	size=$(stat -c %s "$GOOD")
	for n in 1 100 $(( $(img_hdr_size "$GOOD") + 20 )) \
		 $(img_offset "$GOOD" pages) $((size - 1)); do
		head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
		run ! img verify "$BATS_TEST_TMPDIR/t.img"
		assert_output --regexp "(truncat|incomplete|short)"
	done
}

@test "verify rejects a byte changed anywhere, saying it is corrupt" {
	for off in 0 60 $(img_offset "$GOOD" first-record) \
		   $(img_offset "$GOOD" pages) $(img_offset "$GOOD" end); do
		img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" "$off"
		run ! img verify "$BATS_TEST_TMPDIR/c.img"
		if ((off == 0)); then
			assert_output --regexp "(magic|not a crfs image)"
		else
			assert_output --regexp "(crc|checksum|corrupt)"
		fi
	done
}

@test "verify rejects another format version, naming it" {
	local v

	for v in 4 3 2 1; do
		img_set_version "$GOOD" "$BATS_TEST_TMPDIR/v.img" $v
		run ! img verify "$BATS_TEST_TMPDIR/v.img"
		assert_output --partial "version $v image, this crfs reads version 5"
	done
}

# bats test_tags=image
@test "a late call failing inside a batch names pid and call, the container is left empty" {
	require_image
	local ct pid
	pid=$(cat "$GOOD.pid")
	img_forge "$GOOD" "$BATS_TEST_TMPDIR/f.img" robust-len
	run -0 img json "$BATS_TEST_TMPDIR/f.img"
	assert_output --regexp '"robust_list_len": *25'
	ct=$(crfs_mkct forged)
	run ! crfs_restore "$ct" "$BATS_TEST_TMPDIR/f.img"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct/state"
	run -0 ct_file "$ct" error
	assert_output --partial "pid $pid: cannot set the robust futex list: Invalid argument"
	run -0 ct_file "$ct" state
	assert_output "empty"
	run -0 ct_file "$ct" procs
	assert_output ""
	rmdir "$CRFS_MNT/$ct"
}

# bats test_tags=image
@test "verify and restore refuse page data whose range wraps around, alike" {
	require_image
	img_forge "$GOOD" "$BATS_TEST_TMPDIR/f.img" pages-wrap
	refused_alike "$BATS_TEST_TMPDIR/f.img" "0xfffffffffffff000-.*wraps around"
}

# bats test_tags=image
@test "verify and restore refuse page data outside the mappings, alike" {
	require_image
	img_forge "$GOOD" "$BATS_TEST_TMPDIR/f.img" pages-outside
	refused_alike "$BATS_TEST_TMPDIR/f.img" \
		"page data for 0x1000-.*outside every mapping"
}

# bats test_tags=image
@test "verify and restore refuse a user id of -1, alike" {
	require_image
	img_forge "$GOOD" "$BATS_TEST_TMPDIR/f.img" uid
	refused_alike "$BATS_TEST_TMPDIR/f.img" "id 4294967295 is not valid"
}

# bats test_tags=image
@test "verify and restore refuse a soft limit above the hard one, alike" {
	require_image
	img_forge "$GOOD" "$BATS_TEST_TMPDIR/f.img" rlimit
	refused_alike "$BATS_TEST_TMPDIR/f.img" "limit 3: soft 2097152 above hard"
}

# bats test_tags=image
@test "verify and restore refuse a mapping not page-aligned, alike" {
	require_image
	img_forge "$GOOD" "$BATS_TEST_TMPDIR/f.img" vma-unaligned
	refused_alike "$BATS_TEST_TMPDIR/f.img" "mapping .*: not page-aligned"
}

# bats test_tags=image
@test "verify and restore refuse an image of more processes than a restore makes, alike" {
	require_image
	img_set_u32 "$GOOD" "$BATS_TEST_TMPDIR/f.img" 44 40000
	refused_alike "$BATS_TEST_TMPDIR/f.img" "40000 processes; 1 to 32768 are supported"
}

# bats test_tags=image
@test "verify and restore refuse a header that counts more processes than the image holds, alike" {
	require_image
	img_set_u32 "$GOOD" "$BATS_TEST_TMPDIR/f.img" 44 2
	refused_alike "$BATS_TEST_TMPDIR/f.img" "the image holds 1 processes, its header says 2"
}

@test "show and json fail on a bad image" {
	img_flip "$GOOD" "$BATS_TEST_TMPDIR/c.img" "$(img_offset "$GOOD" pages)"
	run ! img show "$BATS_TEST_TMPDIR/c.img"
	run ! img json "$BATS_TEST_TMPDIR/c.img"
	head -c 100 "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
	run ! img show "$BATS_TEST_TMPDIR/t.img"
	run ! img json "$BATS_TEST_TMPDIR/t.img"
}

@test "a missing file and a bad command are errors" {
	run ! img show "$BATS_TEST_TMPDIR/none.img"
	assert_output --partial "none.img"
	run ! img frobnicate "$GOOD"
	run ! img
}
