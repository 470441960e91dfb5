#!/usr/bin/env bats
# zdtm programs whose files are shared or kept as the kernel keeps them:
# descriptions shared by several descriptors, the open mode of a mapped
# file, directories open half-read.  Each is checkpointed, killed,
# restored and thawed, then checks its own state; the image is looked at
# with crfs-image.

load helpers/common

setup_file() { crfs_setup_file; }
teardown_file() { crfs_teardown_file; }
teardown() { crfs_teardown; }

# zdtm_cycle PROG: start PROG, checkpoint it to $IMG, kill it, restore it
# into a new container, thaw it.  Sets CT to the new container.
zdtm_cycle() {
	local pid ct2

	CT=$(crfs_mkct src)
	zdtm_start "$CT" "$1"
	pid=$ZDTM_PID
	IMG=$BATS_TEST_TMPDIR/$1.img
	crfs_checkpoint "$CT" "$IMG"
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$pid"
	ct2=$(crfs_mkct dst)
	crfs_restore "$ct2" "$IMG"
	run -0 ct_file "$ct2" procs
	assert_output "$pid"
	ct_write "$ct2" state thaw
	wait_thawed "$ct2"
	CT=$ct2
}

# img_json_py CODE: run CODE with the decoded image as doc, its files by
# id as files, the process as t.
img_json_py() {
	"$CRFS_BIN/crfs-image" json "$IMG" >"$BATS_TEST_TMPDIR/img.json"
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
files = {f["id"]: f for f in doc["files"]}
t = doc["tasks"][0]
fdt = [x for x in doc["fdtables"] if x["id"] == t["fdtable"]][0]
fds = {d["fd"]: d for d in fdt["fds"]}
mm = [x for x in doc["mms"] if x["id"] == t["mm"]][0]
'"$1" "$BATS_TEST_TMPDIR/img.json"
}

@test "zdtm-sharedfd: fds 1, 2 and 7 share one description (2>&1), fd 8 its own" {
	zdtm_cycle zdtm-sharedfd
	run -0 img_json_py '
if not fds[1]["file"] == fds[2]["file"] == fds[7]["file"]:
    sys.exit("fds 1, 2, 7 name files %d %d %d" %
             (fds[1]["file"], fds[2]["file"], fds[7]["file"]))
if fds[8]["file"] == fds[1]["file"]:
    sys.exit("fd 8 names the description of fd 1")
'
	zdtm_finish
}

# bats test_tags=image
@test "zdtm-mapmode: a shared mapping of a file opened read-write can be made writable again" {
	require_image
	zdtm_cycle zdtm-mapmode
	run -0 img_json_py '
import os
rw = [v for v in mm["vmas"] if v.get("file") and
      files[v["file"]]["path"].endswith("/map.dat")]
ro = [v for v in mm["vmas"] if v.get("file") and
      files[v["file"]]["path"].endswith("/ro.dat")]
if int(files[rw[0]["file"]]["flags"], 8) & os.O_ACCMODE != os.O_RDWR:
    sys.exit("map.dat is mapped from flags %s" % files[rw[0]["file"]]["flags"])
if int(files[ro[0]["file"]]["flags"], 8) & os.O_ACCMODE != os.O_RDONLY:
    sys.exit("ro.dat is mapped from flags %s" % files[ro[0]["file"]]["flags"])
'
	zdtm_finish
}

@test "zdtm-opendir: directories open half-read are read on to the end, each name once" {
	zdtm_cycle zdtm-opendir
	run -0 img_json_py '
dirs = [files[d["file"]] for d in fds.values()
        if files[d["file"]]["kind"] == "dir"]
if len(dirs) != 2 or not all(f["pos"] for f in dirs):
    sys.exit("directories open: %r" % dirs)
'
	zdtm_finish
}

# bats test_tags=image
@test "a directory removed after the checkpoint: the restore refuses it, naming it" {
	require_image
	local pid ct2

	CT=$(crfs_mkct src)
	zdtm_start "$CT" zdtm-opendir
	pid=$ZDTM_PID
	IMG=$BATS_TEST_TMPDIR/opendir.img
	crfs_checkpoint "$CT" "$IMG"
	ct_write "$CT" state kill
	wait_empty "$CT"
	wait_pid_gone "$pid"
	mv "$ZDTM_DIR/many" "$ZDTM_DIR/many.old"
	mkdir "$ZDTM_DIR/many"
	ct2=$(crfs_mkct dst)
	run ! crfs_restore "$ct2" "$IMG"
	wait_for "the restore to end" 15 \
		grep -qvx restoring "$CRFS_MNT/$ct2/state"
	run -0 ct_file "$ct2" error
	assert_output --regexp "fd [0-9]+: .*/many is another file now \\(ino"
	run -0 ct_file "$ct2" state
	assert_output "empty"
}
