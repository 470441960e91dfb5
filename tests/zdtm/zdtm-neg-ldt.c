// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm-neg-ldt: an LDT entry (modify_ldt()), which the checkpoint must
 * refuse.  After SIGTERM the entry is still there.  With --probe: exit 0
 * if the kernel has modify_ldt() (CONFIG_MODIFY_LDT_SYSCALL).
 */
#include <asm/ldt.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	struct user_desc l = { .entry_number = 0, .base_addr = 0x1000,
			       .limit = 0xff, .seg_32bit = 1, .useable = 1 };
	unsigned char ldt[8];

	if (argc > 1 && !strcmp(argv[1], "--probe"))
		return syscall(SYS_modify_ldt, 0, ldt, sizeof(ldt)) < 0;
	zdtm_init(argc, argv);
	zdtm_check(syscall(SYS_modify_ldt, 1, &l, sizeof(l)), "modify_ldt");
	zdtm_ready();
	zdtm_wait();
	memset(ldt, 0, sizeof(ldt));
	if (syscall(SYS_modify_ldt, 0, ldt, sizeof(ldt)) != sizeof(ldt) ||
	    !(ldt[0] | ldt[1] | ldt[2]))
		zdtm_fail("the LDT entry is gone");
	zdtm_pass();
}
