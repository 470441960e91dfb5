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

@test "show summarizes a good image: its pid and command" {
	require_image
	run -0 img show "$GOOD"
	assert_output --partial "$(cat "$GOOD.pid")"
	assert_output --partial "zdtm-counter"
}

@test "show reads a pipe on stdin, the same as the file (but its name)" {
	require_image
	run -0 bash -c "'$CRFS_BIN/crfs-image' show '$GOOD' | grep -v '^image:'"
	want=$output
	run -0 bash -c "cat '$GOOD' | '$CRFS_BIN/crfs-image' show | grep -v '^image:'"
	assert_output "$want"
	run -0 bash -c "cat '$GOOD' | '$CRFS_BIN/crfs-image' show - | grep -v '^image:'"
	assert_output "$want"
}

@test "json prints valid JSON holding the pid and the command" {
	require_image
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

@test "json of two checkpoints of a frozen container differ only in the time" {
	require_image
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
        return {k: strip(v) for k, v in x.items() if "time" not in k and k != "crc"}
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
	require_image
	run -0 img verify "$GOOD"
	run -0 bash -c "cat '$GOOD' | '$CRFS_BIN/crfs-image' verify"
}

@test "verify rejects truncated images, saying so" {
	require_image
	size=$(stat -c %s "$GOOD")
	for n in 1 100 $(( $(img_hdr_size "$GOOD") + 20 )) \
		 $(img_offset "$GOOD" pages) $((size - 1)); do
		head -c "$n" "$GOOD" >"$BATS_TEST_TMPDIR/t.img"
		run ! img verify "$BATS_TEST_TMPDIR/t.img"
		assert_output --regexp "(truncat|incomplete|short)"
	done
}

@test "verify rejects a byte changed anywhere, saying it is corrupt" {
	require_image
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
	require_image
	img_set_version "$GOOD" "$BATS_TEST_TMPDIR/v.img" 1
	run ! img verify "$BATS_TEST_TMPDIR/v.img"
	assert_output --partial "version 1"
	assert_output --partial "version 2"
}

@test "show and json fail on a bad image" {
	require_image
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
