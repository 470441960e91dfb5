// SPDX-License-Identifier: GPL-2.0
/*
 * Credentials of a restore: the CREDS record of each process (ids,
 * capabilities, securebits, supplementary groups), mapped in the writer's
 * user namespace and checked against the writer's privilege (never more
 * than it has: other ids need CAP_SETUID/CAP_SETGID, capabilities must be
 * the writer's), made into the cred each thread commits last.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/key.h>
#include <linux/securebits.h>
#include <linux/sched/user.h>
#include <linux/user_namespace.h>

#include "crfs.h"
#include "ckpt.h"
#include "rst.h"

/*
 * The supplementary groups of the image, mapped in the writer's user
 * namespace and sorted; NULL with *@why set if they cannot be given, or
 * ERR_PTR(-ENOMEM).
 */
static struct group_info *crfs_rst_plan_groups(struct crfs_rst_proc *p, const char **why)
{
	struct user_namespace *ns = p->r->wcred->user_ns;
	const struct group_info *wg = p->r->wcred->group_info;
	unsigned int i, n = p->creds.ngroups;
	struct group_info *gi;
	bool same;

	gi = groups_alloc(n);
	if (!gi)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < n; i++) {
		gi->gid[i] = make_kgid(ns, p->groups[i]);
		if (!gid_valid(gi->gid[i])) {
			put_group_info(gi);
			*why = "a supplementary group not mapped in the writer's user namespace";
			return NULL;
		}
	}
	groups_sort(gi);
	same = wg->ngroups == n;
	for (i = 0; same && i < n; i++)
		same = gid_eq(wg->gid[i], gi->gid[i]);
	if (!same && !cap_raised(p->r->wcred->cap_effective, CAP_SETGID)) {
		put_group_info(gi);
		*why = "other supplementary groups, and the writer has no CAP_SETGID";
		return NULL;
	}
	return gi;
}

/**
 * crfs_rst_plan_creds - the credentials the process will have
 * @p: the process of the restore
 *
 * The ids, capabilities, securebits and supplementary groups of the
 * image, within the writer's privilege, into p->new_cred (committed by
 * each thread at the end).
 * Return: 0, or the errno with the reason in the error file.
 */
int crfs_rst_plan_creds(struct crfs_rst_proc *p)
{
	struct crfs_rst *r = p->r;
	const struct crfs_creds *c = &p->creds;
	const struct cred *w = r->wcred;
	struct user_namespace *ns = w->user_ns;
	kernel_cap_t prm = { c->cap_prm }, eff = { c->cap_eff };
	kernel_cap_t inh = { c->cap_inh }, bnd = { c->cap_bnd };
	kernel_cap_t amb = { c->cap_amb };
	struct group_info *gi = NULL;
	struct cred *new;
	kuid_t uid, euid, suid, fsuid;
	kgid_t gid, egid, sgid, fsgid;
	const char *why = NULL;

	uid = make_kuid(ns, c->uid);
	euid = make_kuid(ns, c->euid);
	suid = make_kuid(ns, c->suid);
	fsuid = make_kuid(ns, c->fsuid);
	gid = make_kgid(ns, c->gid);
	egid = make_kgid(ns, c->egid);
	sgid = make_kgid(ns, c->sgid);
	fsgid = make_kgid(ns, c->fsgid);
	if (!uid_valid(uid) || !uid_valid(euid) || !uid_valid(suid) ||
	    !uid_valid(fsuid) || !gid_valid(gid) || !gid_valid(egid) ||
	    !gid_valid(sgid) || !gid_valid(fsgid))
		why = "an id not mapped in the writer's user namespace";
	else if ((!uid_eq(uid, w->uid) || !uid_eq(euid, w->euid) ||
		  !uid_eq(suid, w->suid) || !uid_eq(fsuid, w->fsuid)) &&
		 !cap_raised(w->cap_effective, CAP_SETUID))
		why = "other user ids, and the writer has no CAP_SETUID";
	else if ((!gid_eq(gid, w->gid) || !gid_eq(egid, w->egid) ||
		  !gid_eq(sgid, w->sgid) || !gid_eq(fsgid, w->fsgid)) &&
		 !cap_raised(w->cap_effective, CAP_SETGID))
		why = "other group ids, and the writer has no CAP_SETGID";
	else if ((prm.val | eff.val | inh.val | bnd.val | amb.val) & ~CAP_VALID_MASK)
		why = "unknown capabilities";
	else if (c->securebits & ~(SECURE_ALL_BITS | SECURE_ALL_LOCKS))
		why = "unknown securebits";
	else if (!cap_issubset(prm, w->cap_permitted) ||
		 !cap_issubset(bnd, w->cap_bset) ||
		 !cap_issubset(inh, cap_combine(w->cap_inheritable, w->cap_permitted)))
		why = "capabilities the writer does not have";
	else if (!cap_issubset(eff, prm) ||
		 !cap_issubset(amb, cap_intersect(prm, inh)))
		why = "effective or ambient capabilities not permitted";
	else if (c->securebits & ~SECUREBITS_DEFAULT &&
		 (c->securebits != w->securebits &&
		  !cap_raised(w->cap_effective, CAP_SETPCAP)))
		why = "securebits, and the writer has no CAP_SETPCAP";
	else
		gi = crfs_rst_plan_groups(p, &why);
	if (IS_ERR(gi))
		return PTR_ERR(gi);
	if (why)
		return crfs_rst_refuse(r, -EPERM, "pid %u: credentials: %s",
				       p->task.pid, why);
	new = prepare_creds();
	if (!new) {
		put_group_info(gi);
		return -ENOMEM;
	}
	new->uid = uid;
	new->euid = euid;
	new->suid = suid;
	new->fsuid = fsuid;
	new->gid = gid;
	new->egid = egid;
	new->sgid = sgid;
	new->fsgid = fsgid;
	new->cap_permitted = prm;
	new->cap_effective = eff;
	new->cap_inheritable = inh;
	new->cap_bset = bnd;
	new->cap_ambient = amb;
	new->securebits = c->securebits;
	set_groups(new, gi);
	put_group_info(gi);
#ifdef CONFIG_KEYS
	/* a new process: the writer's own keyrings are not its (copy_creds()) */
	key_put(new->thread_keyring);
	new->thread_keyring = NULL;
	key_put(new->process_keyring);
	new->process_keyring = NULL;
#endif
	/* new->user is the user of the cred it was prepared from, current's */
	if (!uid_eq(new->uid, current_uid())) {
		free_uid(new->user);
		new->user = alloc_uid(new->uid);
		if (!new->user) {
			new->user = get_uid(&root_user);
			abort_creds(new);
			return -ENOMEM;
		}
	}
	if (set_cred_ucounts(new)) {
		abort_creds(new);
		return -ENOMEM;
	}
	p->new_cred = new;
	return 0;
}
