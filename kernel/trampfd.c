// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * trampfd: the kernel side of the 2020 trampfd discussion, as a module.
 *
 * 1. Fault trampolines (trampfd v1): a mapping with no page, ever.  A call
 *    into it takes an instruction-fetch page fault; the mapping's ->fault
 *    handler sees FAULT_FLAG_INSTRUCTION at the interrupted user PC, looks
 *    up the context set by TRAMPFD_IOC_SET for that address, writes its
 *    stack words, loads its registers into the task's saved user registers
 *    (task_pt_regs) and returns VM_FAULT_NOPAGE: the return from the fault
 *    continues at the context's pc.  No kprobe, no core change: x86's
 *    access_error() lets an instruction fetch of a not-present page in any
 *    accessible VMA reach ->fault.
 * 2. Call trampolines (the trampoline syscall): read+execute stubs that
 *    save the registers the syscall clobbers and call TRAMPFD_IOC_CALL; the
 *    ioctl pops them back and applies the context the same way.
 * 3. JIT code: TRAMPFD_IOC_JIT_CREATE copies user code into fresh pages and
 *    maps them read+execute into the caller (a MAP_SHARED mapping that can
 *    never become writable); TRAMPFD_IOC_JIT_REGION/APPEND give an int3
 *    filled region whose appends build a new page, swap it in under the
 *    page-table lock of every mapping, and free the old page only after the
 *    TLB flush; an int3 die notifier rewinds a thread that ran the old
 *    filler of a page already replaced.
 *
 * Contexts live in a table per VMA, copied by ->open, so a fork child owns
 * its trampolines as it owns private memory.
 */
#include <linux/compat.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/kdebug.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <asm/ptrace.h>

#include "trampfd.h"

#define CALL_PGOFF	(TRAMPFD_CALL_OFFSET >> PAGE_SHIFT)
#define JIT_PGOFF	(1UL << 32)			/* JIT objects from here */
#define JIT_OBJ_PAGES	(TRAMPFD_JIT_MAX >> PAGE_SHIFT)	/* pgoffs per object */
#define CTX_REGS	(((1ULL << TRAMPFD_NREGS) - 1) & ~(1ULL << TRAMPFD_RSP))
#define PC_BELOW	72	/* call path: rax at sp - 72, pc at sp - 80 */
#define NR_IOCTL	16

/* ---- instances, contexts ---------------------------------------------- */

struct tfile {
	struct mutex lock;	/* pcs and stub setup */
	const u64 *pcs;		/* allowed pcs, NULL: any; set once */
	unsigned int npcs;
	struct page *stub;	/* call stubs for call_fd, or NULL */
	int call_fd;		/* fd number the stubs call */
};

struct tentry {			/* one context, immutable once stored */
	refcount_t ref;		/* one per table holding it */
	struct rcu_head rcu;
	struct trampfd_context ctx;
};

struct ttab {			/* the contexts of one VMA, by key */
	struct xarray xa;
};

static atomic64_t st_fault, st_ioctl, st_slow, st_bp, st_swaps;

static void entry_put(struct tentry *e)
{
	if (e && refcount_dec_and_test(&e->ref))
		kfree_rcu(e, rcu);
}

static void ttab_free(struct ttab *t)
{
	struct tentry *e;
	unsigned long i;

	if (!t)
		return;
	xa_for_each(&t->xa, i, e)
		entry_put(e);
	xa_destroy(&t->xa);
	kfree(t);
}

/* Register i of the context in pt_regs. */
static unsigned long *reg_of(struct pt_regs *r, unsigned int i)
{
	static const unsigned short off[TRAMPFD_NREGS] = {
		offsetof(struct pt_regs, ax), offsetof(struct pt_regs, bx),
		offsetof(struct pt_regs, cx), offsetof(struct pt_regs, dx),
		offsetof(struct pt_regs, si), offsetof(struct pt_regs, di),
		offsetof(struct pt_regs, bp), offsetof(struct pt_regs, sp),
		offsetof(struct pt_regs, r8), offsetof(struct pt_regs, r9),
		offsetof(struct pt_regs, r10), offsetof(struct pt_regs, r11),
		offsetof(struct pt_regs, r12), offsetof(struct pt_regs, r13),
		offsetof(struct pt_regs, r14), offsetof(struct pt_regs, r15),
	};
	return (unsigned long *)((char *)r + off[i]);
}

/*
 * Words to write below the stack pointer s0 of a call, lowest address
 * first, and the final stack pointer.
 */
static unsigned long ctx_words(const struct trampfd_context *c,
			       unsigned long s0, u64 *w, unsigned long *sp)
{
	unsigned int n = c->nstack, i;

	for (i = 0; i < n; i++)
		w[i] = c->stack[n - 1 - i];
	*sp = c->flags & TRAMPFD_MOVE_SP ? s0 - 8UL * n : s0;
	return s0 - 8UL * n;
}

static void ctx_regs(struct pt_regs *r, const struct trampfd_context *c,
		     unsigned long sp)
{
	unsigned int i;

	if (c->flags & (TRAMPFD_SHIFT_ARGS | TRAMPFD_SHIFT_ARGS2)) {
		r->r9 = r->r8;
		r->r8 = r->cx;
		r->cx = r->dx;
		r->dx = r->si;
		if (c->flags & TRAMPFD_SHIFT_ARGS)
			r->si = r->di;
	}
	for (i = 0; i < TRAMPFD_NREGS; i++)
		if (c->mask & (1ULL << i))
			*reg_of(r, i) = c->regs[i];
	r->sp = sp;
	r->ip = c->pc;
}

/* ---- fault and call mappings ------------------------------------------ */

static bool vma_is_call(const struct vm_area_struct *vma)
{
	return vma->vm_pgoff >= CALL_PGOFF;
}

/* The table key of the trampoline at addr of vma, or -1. */
static long tramp_key(const struct vm_area_struct *vma, unsigned long addr)
{
	u64 off, stride = vma_is_call(vma) ? TRAMPFD_CALL_STRIDE :
					     TRAMPFD_STRIDE;

	if (addr < vma->vm_start || addr >= vma->vm_end)
		return -1;
	off = addr - vma->vm_start + ((u64)vma->vm_pgoff << PAGE_SHIFT);
	if (vma_is_call(vma))
		off -= TRAMPFD_CALL_OFFSET;
	if (off % stride)
		return -1;
	return (long)(off / stride);
}

/* Copy the context of the trampoline at addr; false if there is none. */
static bool ctx_get(struct vm_area_struct *vma, unsigned long addr,
		    struct trampfd_context *c)
{
	struct ttab *t = vma->vm_private_data;
	long key = tramp_key(vma, addr);
	struct tentry *e;

	if (!t || key < 0)
		return false;
	rcu_read_lock();
	e = xa_load(&t->xa, key);
	if (e)
		*c = e->ctx;
	rcu_read_unlock();
	return e != NULL;
}

/* Write n words at uaddr without faulting (the mmap lock is held). */
static int put_words_nofault(unsigned long uaddr, const u64 *w,
			     unsigned int n)
{
	int left;

	if (!n)
		return 0;
	if (!access_ok((void __user *)uaddr, 8UL * n))
		return -EFAULT;
	pagefault_disable();
	left = __copy_to_user_inatomic((void __user *)uaddr, w, 8UL * n);
	pagefault_enable();
	return left ? -EFAULT : 0;
}

/*
 * Fault trampolines.  The mmap lock is held for read: the stack words go
 * out without faulting; if the stack page is not present, the lock is
 * dropped first (as the v1 patches did) and VM_FAULT_COMPLETED tells the
 * arch code that the fault is done and the lock already released.
 */
static vm_fault_t tramp_fault_call(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long lo, sp;
	struct trampfd_context c;
	u64 w[TRAMPFD_MAX_STACK];

	if (!(vmf->flags & FAULT_FLAG_INSTRUCTION) ||
	    !(vmf->flags & FAULT_FLAG_USER) ||
	    (vmf->flags & FAULT_FLAG_REMOTE) || current->mm != vma->vm_mm ||
	    regs->ip != vmf->real_address ||
	    !ctx_get(vma, vmf->real_address, &c))
		return VM_FAULT_SIGSEGV;
	lo = ctx_words(&c, regs->sp, w, &sp);
	atomic64_inc(&st_fault);
	if (!put_words_nofault(lo, w, c.nstack)) {
		ctx_regs(regs, &c, sp);
		return VM_FAULT_NOPAGE;
	}
	if (!(vmf->flags & FAULT_FLAG_ALLOW_RETRY) ||
	    (vmf->flags & FAULT_FLAG_RETRY_NOWAIT))
		return VM_FAULT_SIGSEGV;
	atomic64_inc(&st_slow);
	mmap_read_unlock(vma->vm_mm);
	if (copy_to_user((void __user *)lo, w, 8UL * c.nstack))
		force_sig(SIGSEGV);	/* a bad stack, as a push would */
	else
		ctx_regs(regs, &c, sp);
	return VM_FAULT_COMPLETED | VM_FAULT_NOPAGE;
}

static vm_fault_t tramp_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct tfile *tf = vma->vm_file->private_data;
	int err;

	if (!vma_is_call(vma))
		return tramp_fault_call(vmf);
	/* Call trampolines: every page is the instance's stub page. */
	err = vm_insert_page(vma, vmf->address, tf->stub);
	return err && err != -EBUSY ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
}

/* A new VMA (fork, split, mremap) gets its own copy of the table. */
static void tramp_open(struct vm_area_struct *vma)
{
	struct ttab *old = vma->vm_private_data, *t;
	struct tentry *e;
	unsigned long i;

	vma->vm_private_data = NULL;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return;		/* calls into it then fault with SIGSEGV */
	xa_init(&t->xa);
	if (old) {
		xa_for_each(&old->xa, i, e) {
			refcount_inc(&e->ref);
			if (xa_err(xa_store(&t->xa, i, e, GFP_KERNEL)))
				entry_put(e);
		}
	}
	vma->vm_private_data = t;
}

static void tramp_close(struct vm_area_struct *vma)
{
	ttab_free(vma->vm_private_data);
	vma->vm_private_data = NULL;
}

static const struct vm_operations_struct tramp_vm_ops = {
	.open = tramp_open,
	.close = tramp_close,
	.fault = tramp_fault,
};

/* The trampoline VMA of this instance holding addr.  pre: mmap lock. */
static struct vm_area_struct *tramp_vma(struct file *f, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(current->mm, addr);

	if (!vma || addr < vma->vm_start || vma->vm_ops != &tramp_vm_ops ||
	    vma->vm_file != f)
		return NULL;
	return vma;
}

static bool pc_allowed(struct tfile *tf, u64 pc)
{
	const u64 *pcs = smp_load_acquire(&tf->pcs);
	unsigned int i;

	if (!pcs)
		return true;
	for (i = 0; i < tf->npcs; i++)
		if (pcs[i] == pc)
			return true;
	return false;
}

static long ioc_set(struct file *f, void __user *arg, bool clear)
{
	struct tfile *tf = f->private_data;
	struct tentry *e = NULL, *old;
	struct vm_area_struct *vma;
	struct trampfd_set s;
	long key, ret = 0;
	struct ttab *t;

	if (clear) {
		if (get_user(s.addr, (u64 __user *)arg))
			return -EFAULT;
	} else {
		if (copy_from_user(&s, arg, sizeof(s)))
			return -EFAULT;
		if ((s.ctx.mask & ~CTX_REGS) ||
		    s.ctx.nstack > TRAMPFD_MAX_STACK ||
		    (s.ctx.flags & ~(TRAMPFD_MOVE_SP | TRAMPFD_SHIFT_ARGS |
				     TRAMPFD_SHIFT_ARGS2)) ||
		    (s.ctx.flags & TRAMPFD_SHIFT_ARGS &&
		     s.ctx.flags & TRAMPFD_SHIFT_ARGS2) ||
		    !s.ctx.pc ||
		    s.ctx.pc >= TASK_SIZE_MAX)
			return -EINVAL;
		if (!pc_allowed(tf, s.ctx.pc))
			return -EPERM;
		e = kmalloc(sizeof(*e), GFP_KERNEL);
		if (!e)
			return -ENOMEM;
		refcount_set(&e->ref, 1);
		e->ctx = s.ctx;
	}
	if (mmap_read_lock_killable(current->mm)) {
		kfree(e);
		return -EINTR;
	}
	vma = tramp_vma(f, s.addr);
	key = vma ? tramp_key(vma, s.addr) : -1;
	t = vma ? vma->vm_private_data : NULL;
	if (key < 0 || !t) {
		ret = key < 0 ? -EINVAL : -ENOMEM;
		kfree(e);
	} else if (e) {
		old = xa_store(&t->xa, key, e, GFP_KERNEL);
		if (xa_is_err(old)) {
			ret = xa_err(old);
			kfree(e);
		} else {
			entry_put(old);
		}
	} else {
		entry_put(xa_erase(&t->xa, key));
	}
	mmap_read_unlock(current->mm);
	return ret;
}

static long ioc_allow_pcs(struct tfile *tf, void __user *arg)
{
	struct trampfd_pcs p;
	u64 *pcs;

	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	if (!p.count || p.count > TRAMPFD_MAX_PCS)
		return -EINVAL;
	pcs = memdup_user(u64_to_user_ptr(p.pcs), p.count * sizeof(u64));
	if (IS_ERR(pcs))
		return PTR_ERR(pcs);
	mutex_lock(&tf->lock);
	if (tf->pcs) {
		mutex_unlock(&tf->lock);
		kfree(pcs);
		return -EBUSY;	/* once per instance, like a seal */
	}
	tf->npcs = p.count;
	smp_store_release(&tf->pcs, pcs);
	mutex_unlock(&tf->lock);
	return 0;
}

/*
 * The call stub (TRAMPFD_CALL_STRIDE bytes):
 *	endbr64; push %rax; push %rcx; push %rdi; push %rsi; push %r11
 *	mov $fd, %edi; mov $TRAMPFD_IOC_CALL, %esi; mov $__NR_ioctl, %eax
 *	syscall
 *	test %eax, %eax; jne 1f			<- the ioctl returns here
 *	mov -72(%rsp), %rax; jmp *-80(%rsp)
 * 1:	ud2
 * %rdx is not an argument (the ioctl finds the trampoline from the return
 * address), so it needs no saving.  The ioctl's return value cannot carry
 * %rax (sys_ioctl returns an int), hence the reload from the stack.  A
 * failed ioctl (the fd closed or replaced) ends in SIGILL at the ud2, not
 * in a jump through whatever lies below the stack pointer.
 */
#define STUB_FD		(4 + 5 + 1)
#define STUB_RET	TRAMPFD_CALL_RET
static const u8 stub_code[] = {
	0xf3, 0x0f, 0x1e, 0xfa, 0x50, 0x51, 0x57, 0x56, 0x41, 0x53,
	0xbf, 0, 0, 0, 0,
	0xbe, TRAMPFD_IOC_CALL & 0xff, (TRAMPFD_IOC_CALL >> 8) & 0xff,
	(TRAMPFD_IOC_CALL >> 16) & 0xff, (TRAMPFD_IOC_CALL >> 24) & 0xff,
	0xb8, NR_IOCTL, 0, 0, 0, 0x0f, 0x05,
	0x85, 0xc0, 0x75, 0x09,
	0x48, 0x8b, 0x44, 0x24, 0xb8, 0xff, 0x64, 0x24, 0xb0,
	0x0f, 0x0b,
};
static_assert(sizeof(stub_code) == TRAMPFD_CALL_TRAP + 2);
static_assert(sizeof(stub_code) <= TRAMPFD_CALL_STRIDE);

static long ioc_call_fd(struct file *f, int fd)
{
	struct tfile *tf = f->private_data;
	struct page *pg;
	struct fd r;
	u8 *p;
	int i;

	r = fdget(fd);
	if (r.file != f) {
		fdput(r);
		return -EBADF;
	}
	fdput(r);
	pg = alloc_page(GFP_KERNEL);
	if (!pg)
		return -ENOMEM;
	p = page_address(pg);
	memset(p, 0xcc, PAGE_SIZE);
	for (i = 0; i < PAGE_SIZE; i += TRAMPFD_CALL_STRIDE) {
		memcpy(p + i, stub_code, sizeof(stub_code));
		memcpy(p + i + STUB_FD + 1, &fd, 4);
	}
	mutex_lock(&tf->lock);
	if (tf->stub) {
		mutex_unlock(&tf->lock);
		__free_page(pg);
		return -EBUSY;
	}
	tf->call_fd = fd;
	tf->stub = pg;
	mutex_unlock(&tf->lock);
	return 0;
}

/*
 * The trampoline syscall.  Only a stub of this instance may call it: the
 * return address says which trampoline.  Its five saved words are popped
 * into the registers, the context applied, and the stub's tail reloads
 * %rax and jumps to pc.  A call of a trampoline without a context faults
 * at the trampoline, with the registers as they were at its entry.
 */
static long ioc_call(struct file *f)
{
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long tramp = regs->ip - STUB_RET, s0, sp, lo;
	u64 saved[5], w[TRAMPFD_MAX_STACK], tail[2];
	struct vm_area_struct *vma;
	struct trampfd_context c;
	bool stub, ok;

	if (in_compat_syscall())
		return -EINVAL;
	if (mmap_read_lock_killable(current->mm))
		return -EINTR;
	vma = tramp_vma(f, tramp);
	stub = vma && vma_is_call(vma) && tramp_key(vma, tramp) >= 0;
	ok = stub && ctx_get(vma, tramp, &c);
	mmap_read_unlock(current->mm);
	if (!stub)
		return -EINVAL;		/* not called from a stub */
	if (copy_from_user(saved, (void __user *)regs->sp, sizeof(saved)))
		goto bad;
	regs->r11 = saved[0];
	regs->si = saved[1];
	regs->di = saved[2];
	regs->cx = saved[3];
	s0 = regs->sp + sizeof(saved);
	if (!ok) {
		regs->ax = saved[4];
		regs->sp = s0;
		regs->ip = tramp;
		goto bad;
	}
	lo = ctx_words(&c, s0, w, &sp);
	tail[0] = c.pc;
	tail[1] = c.mask & (1ULL << TRAMPFD_RAX) ? c.regs[TRAMPFD_RAX] :
						   saved[4];
	if (copy_to_user((void __user *)lo, w, 8UL * c.nstack) ||
	    copy_to_user((void __user *)(sp - PC_BELOW - 8), tail,
			 sizeof(tail)))
		goto bad;
	ctx_regs(regs, &c, sp);
	regs->ip = tramp + STUB_RET;	/* the tail */
	regs->orig_ax = -1;		/* no syscall restart on a signal */
	atomic64_inc(&st_ioctl);
	return 0;
bad:
	force_sig(SIGSEGV);
	return -EFAULT;
}

/* ---- JIT objects and regions ------------------------------------------ */

struct jobj {
	refcount_t ref;		/* the creating ioctl + one per VMA */
	u32 id;			/* in jobjs; -1: a fork child's copy */
	pgoff_t pgoff;		/* file offset of page 0, in pages */
	bool region;		/* appendable (int3 fixup applies) */
	struct tfile *owner;	/* the only instance that may map it */
	struct address_space *mapping;	/* of the device file */
	unsigned int npages;
	struct page **pages;	/* current pages; swapped under plock */
	spinlock_t plock;	/* pages[] */
	struct mutex lock;	/* appends */
	struct mutex swap;	/* page install vs page swap */
	size_t used;		/* bytes appended (regions) */
};

static DEFINE_XARRAY_ALLOC(jobjs);

/* Test hook: widen the window between a page swap and its TLB flush, in
   which a thread still running the old page meets the int3 fixup. */
static unsigned int swap_delay_us;
module_param(swap_delay_us, uint, 0644);
MODULE_PARM_DESC(swap_delay_us, "delay between page swap and flush (tests)");
static u32 jobj_next;

/* Region VMAs, for the int3 notifier (which may not sleep). */
struct rvma {
	struct list_head node;
	struct vm_area_struct *vma;
	struct jobj *obj;
};
static LIST_HEAD(rvmas);
static DEFINE_SPINLOCK(rvmas_lock);

static pgoff_t jobj_pgoff(const struct jobj *o)
{
	return o->pgoff;
}

static void jobj_put(struct jobj *o)
{
	unsigned int i;

	if (!refcount_dec_and_test(&o->ref))
		return;
	if (o->id != (u32)-1)
		xa_erase(&jobjs, o->id);
	for (i = 0; o->pages && i < o->npages; i++)
		if (o->pages[i])
			put_page(o->pages[i]);
	kvfree(o->pages);
	kfree(o);
}

/* A new page filled with int3 holding a copy of old (if any). */
static struct page *code_page(struct page *old)
{
	struct page *pg = alloc_page(GFP_KERNEL | __GFP_ACCOUNT);

	if (!pg)
		return NULL;
	if (old)
		memcpy(page_address(pg), page_address(old), PAGE_SIZE);
	else
		memset(page_address(pg), 0xcc, PAGE_SIZE);
	return pg;
}

static struct jobj *jobj_new(struct file *f, size_t len, bool region)
{
	struct jobj *o = kzalloc(sizeof(*o), GFP_KERNEL);
	unsigned int i;

	if (!o)
		return NULL;
	refcount_set(&o->ref, 1);
	o->id = (u32)-1;
	o->region = region;
	o->owner = f->private_data;
	o->mapping = f->f_mapping;
	o->npages = DIV_ROUND_UP(len, PAGE_SIZE);
	spin_lock_init(&o->plock);
	mutex_init(&o->lock);
	mutex_init(&o->swap);
	o->pages = kvcalloc(o->npages, sizeof(*o->pages), GFP_KERNEL);
	if (!o->pages)
		goto fail;
	for (i = 0; i < o->npages; i++) {
		o->pages[i] = code_page(NULL);
		if (!o->pages[i])
			goto fail;
	}
	if (xa_alloc_cyclic(&jobjs, &o->id, o, XA_LIMIT(0, (1U << 30) - 1),
			    &jobj_next, GFP_KERNEL) < 0)
		goto fail;
	o->pgoff = JIT_PGOFF + (pgoff_t)o->id * JIT_OBJ_PAGES;
	return o;
fail:
	jobj_put(o);
	return NULL;
}

static vm_fault_t jit_fault(struct vm_fault *vmf)
{
	struct jobj *o = vmf->vma->vm_private_data;
	pgoff_t i = vmf->pgoff - jobj_pgoff(o);
	int err;

	if (i >= o->npages)
		return VM_FAULT_SIGBUS;
	/* Under o->swap a swap cannot zap between lookup and install. */
	mutex_lock(&o->swap);
	err = vm_insert_page(vmf->vma, vmf->address, o->pages[i]);
	mutex_unlock(&o->swap);
	if (err == -ENOMEM)
		return VM_FAULT_OOM;
	return err && err != -EBUSY ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
}

static void rvma_add(struct vm_area_struct *vma, struct jobj *o)
{
	struct rvma *r;

	if (!o->region)
		return;
	r = kmalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return;		/* no fixup there: a stale int3 traps */
	r->vma = vma;
	r->obj = o;
	spin_lock(&rvmas_lock);
	list_add(&r->node, &rvmas);
	spin_unlock(&rvmas_lock);
}

/*
 * A fork child's copy of region o: the same pages (never written once
 * mapped: appends replace them) and append point, appended to on its own.
 * It keeps o's file offsets, so a swap on either side also zaps the other
 * side's PTE of that page, which then faults its own page back in.
 */
static struct jobj *jobj_copy(struct jobj *o)
{
	struct jobj *c = kmemdup(o, sizeof(*o), GFP_KERNEL);
	unsigned int i;

	if (!c)
		return NULL;
	c->pages = kvcalloc(o->npages, sizeof(*c->pages), GFP_KERNEL);
	if (!c->pages) {
		kfree(c);
		return NULL;
	}
	refcount_set(&c->ref, 1);
	c->id = (u32)-1;
	spin_lock_init(&c->plock);
	mutex_init(&c->lock);
	mutex_init(&c->swap);
	spin_lock(&o->plock);
	for (i = 0; i < o->npages; i++) {
		c->pages[i] = o->pages[i];
		get_page(c->pages[i]);
	}
	c->used = READ_ONCE(o->used);
	spin_unlock(&o->plock);
	return c;
}

static void jit_open(struct vm_area_struct *vma)
{
	struct jobj *o = vma->vm_private_data, *c;

	/* Fork: regions are private to a process, like the other modes'.
	   Without memory for a copy the child shares the parent's. */
	if (o->region && vma->vm_mm != current->mm) {
		c = jobj_copy(o);
		if (c) {
			vma->vm_private_data = c;
			rvma_add(vma, c);
			return;
		}
	}
	refcount_inc(&o->ref);
	rvma_add(vma, o);
}

static void jit_close(struct vm_area_struct *vma)
{
	struct jobj *o = vma->vm_private_data;
	struct rvma *r, *n, *found = NULL;

	spin_lock(&rvmas_lock);
	list_for_each_entry_safe(r, n, &rvmas, node) {
		if (r->vma == vma) {
			list_del(&r->node);
			found = r;
			break;
		}
	}
	spin_unlock(&rvmas_lock);
	kfree(found);
	jobj_put(o);
}

static const struct vm_operations_struct jit_vm_ops = {
	.open = jit_open,
	.close = jit_close,
	.fault = jit_fault,
};

static long ioc_jit_create(struct file *f, void __user *arg, bool region)
{
	struct trampfd_jit j;
	struct jobj *o;
	unsigned int i;
	size_t size;

	if (copy_from_user(&j, arg, sizeof(j)))
		return -EFAULT;
	if (!j.len || (!region && !j.src))
		return -EINVAL;
	if (j.len > TRAMPFD_JIT_MAX)
		return -ENOMEM;
	o = jobj_new(f, j.len, region);
	if (!o)
		return -ENOMEM;
	for (i = 0; !region && i < o->npages; i++) {
		size_t n = min_t(size_t, PAGE_SIZE, j.len - (size_t)i * PAGE_SIZE);

		if (copy_from_user(page_address(o->pages[i]),
				   u64_to_user_ptr(j.src) + (size_t)i * PAGE_SIZE,
				   n)) {
			jobj_put(o);
			return -EFAULT;
		}
	}
	size = (size_t)o->npages << PAGE_SHIFT;
	j.addr = vm_mmap(f, 0, size, PROT_READ | PROT_EXEC, MAP_SHARED,
			 jobj_pgoff(o) << PAGE_SHIFT);
	jobj_put(o);		/* the VMA holds it now */
	if (IS_ERR_VALUE((unsigned long)j.addr))
		return (long)j.addr;
	if (put_user(j.addr, &((struct trampfd_jit __user *)arg)->addr)) {
		vm_munmap(j.addr, size);
		return -EFAULT;
	}
	return 0;
}

/* The object mapped from its start at addr by this instance, referenced. */
static struct jobj *jobj_at(struct file *f, unsigned long addr, size_t *len)
{
	struct vm_area_struct *vma;
	struct jobj *o = NULL;

	if (mmap_read_lock_killable(current->mm))
		return NULL;
	vma = find_vma(current->mm, addr);
	if (vma && vma->vm_start == addr && vma->vm_ops == &jit_vm_ops &&
	    vma->vm_file == f) {
		o = vma->vm_private_data;
		if (vma->vm_pgoff != jobj_pgoff(o) ||
		    vma_pages(vma) != o->npages)
			o = NULL;
		else
			refcount_inc(&o->ref);
	}
	mmap_read_unlock(current->mm);
	if (o && len)
		*len = (size_t)o->npages << PAGE_SHIFT;
	return o;
}

/*
 * Append: build every touched page off-line (a copy of the current one
 * plus the new bytes), then swap them in last page first.  A swap stores
 * the new page, then zaps the old PTE in every mapping of the object
 * (unmap_mapping_range: under each page-table lock, with the TLB flush);
 * the old page is freed only after that flush.  The next fetch faults the
 * new page in.  Earlier code keeps running: its bytes are the same in both
 * pages.
 */
static long ioc_jit_append(struct file *f, void __user *arg)
{
	unsigned long first, last, i, n = 0;
	struct page **fresh = NULL;
	struct trampfd_jit j;
	struct jobj *o;
	size_t off;
	long ret = 0;

	if (copy_from_user(&j, arg, sizeof(j)))
		return -EFAULT;
	if (!j.src || !j.len)
		return -EINVAL;
	o = jobj_at(f, j.region, NULL);
	if (!o || !o->region) {
		if (o)
			jobj_put(o);
		return -EINVAL;
	}
	mutex_lock(&o->lock);
	off = ALIGN(o->used, 16);
	if (off > (size_t)o->npages << PAGE_SHIFT ||
	    j.len > ((size_t)o->npages << PAGE_SHIFT) - off) {
		ret = -ENOMEM;
		goto out;
	}
	first = off >> PAGE_SHIFT;
	last = (off + j.len - 1) >> PAGE_SHIFT;
	fresh = kvcalloc(last - first + 1, sizeof(*fresh), GFP_KERNEL);
	if (!fresh) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = first; i <= last; i++, n++) {
		size_t lo = i == first ? off & ~PAGE_MASK : 0;
		size_t end = i == last ? ((off + j.len - 1) & ~PAGE_MASK) + 1 :
					 PAGE_SIZE;
		size_t from = i * PAGE_SIZE + lo - off;

		fresh[n] = code_page(o->pages[i]);
		if (!fresh[n] ||
		    copy_from_user(page_address(fresh[n]) + lo,
				   u64_to_user_ptr(j.src) + from, end - lo)) {
			ret = fresh[n] ? -EFAULT : -ENOMEM;
			if (fresh[n])
				n++;
			goto drop;
		}
	}
	for (i = last + 1; i-- > first;) {
		struct page *old;

		mutex_lock(&o->swap);
		spin_lock(&o->plock);
		old = o->pages[i];
		o->pages[i] = fresh[i - first];
		spin_unlock(&o->plock);
		if (READ_ONCE(swap_delay_us))
			usleep_range(swap_delay_us, swap_delay_us + 100);
		unmap_mapping_range(o->mapping,
				    (loff_t)(jobj_pgoff(o) + i) << PAGE_SHIFT,
				    PAGE_SIZE, 1);
		mutex_unlock(&o->swap);
		put_page(old);
		atomic64_inc(&st_swaps);
	}
	o->used = off + j.len;
	j.addr = j.region + off;
	if (put_user(j.addr, &((struct trampfd_jit __user *)arg)->addr))
		ret = -EFAULT;
	goto out;
drop:
	while (n--)
		put_page(fresh[n]);
out:
	mutex_unlock(&o->lock);
	kvfree(fresh);
	jobj_put(o);
	return ret;
}

static long ioc_jit_destroy(struct file *f, void __user *arg)
{
	struct jobj *o;
	size_t len;
	u64 addr;

	if (get_user(addr, (u64 __user *)arg))
		return -EFAULT;
	o = jobj_at(f, addr, &len);
	if (!o)
		return -EINVAL;
	jobj_put(o);
	return vm_munmap(addr, len);
}

/*
 * The #BP fixup: an int3 from user mode on a filler byte of a region page
 * that has since been replaced by one holding code is rewound, and the
 * thread retries.  Runs with interrupts off: spinlocks only.  The module
 * cannot flush one TLB entry of the user address space itself
 * (flush_tlb_one_user is not exported); it needs not: the swap's flush
 * reaches this CPU as soon as it returns to user mode with interrupts on,
 * and until then the retry only repeats the trap.
 */
static int bp_notify(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;
	struct pt_regs *regs = args->regs;
	unsigned long addr;
	struct rvma *r;
	int ret = NOTIFY_DONE;

	if (val != DIE_INT3 || !regs || !user_mode(regs) || !current->mm)
		return NOTIFY_DONE;
	addr = regs->ip - 1;
	spin_lock(&rvmas_lock);
	list_for_each_entry(r, &rvmas, node) {
		struct vm_area_struct *vma = r->vma;
		struct jobj *o = r->obj;
		pgoff_t i;
		u8 b;

		if (vma->vm_mm != current->mm || addr < vma->vm_start ||
		    addr >= vma->vm_end)
			continue;
		i = ((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff -
		    jobj_pgoff(o);
		if (i >= o->npages)
			break;
		spin_lock(&o->plock);
		b = *((u8 *)page_address(o->pages[i]) + (addr & ~PAGE_MASK));
		spin_unlock(&o->plock);
		if (b != 0xcc) {
			regs->ip = addr;
			atomic64_inc(&st_bp);
			ret = NOTIFY_STOP;
		}
		break;
	}
	spin_unlock(&rvmas_lock);
	return ret;
}

static struct notifier_block bp_nb = {
	.notifier_call = bp_notify,
};

/* ---- the device -------------------------------------------------------- */

static int trampfd_mmap(struct file *f, struct vm_area_struct *vma)
{
	struct tfile *tf = f->private_data;
	struct jobj *o;

	if (vma->vm_flags & VM_WRITE)
		return -EACCES;
	vma->vm_flags &= ~VM_MAYWRITE;
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	if (vma->vm_pgoff >= JIT_PGOFF) {
		u32 id = (vma->vm_pgoff - JIT_PGOFF) / JIT_OBJ_PAGES;

		xa_lock(&jobjs);
		o = xa_load(&jobjs, id);
		if (o && (o->owner != tf || !refcount_inc_not_zero(&o->ref)))
			o = NULL;
		xa_unlock(&jobjs);
		if (!o)
			return -EINVAL;
		if (vma->vm_pgoff - jobj_pgoff(o) + vma_pages(vma) >
		    o->npages) {
			jobj_put(o);
			return -EINVAL;
		}
		vma->vm_flags |= VM_MIXEDMAP;
		vma->vm_private_data = o;
		vma->vm_ops = &jit_vm_ops;
		rvma_add(vma, o);
		return 0;
	}
	if (vma->vm_pgoff < CALL_PGOFF &&
	    vma->vm_pgoff + vma_pages(vma) > CALL_PGOFF)
		return -EINVAL;
	if (vma_is_call(vma)) {
		if (!READ_ONCE(tf->stub))
			return -EINVAL;	/* TRAMPFD_IOC_CALL_FD first */
		vma->vm_flags |= VM_MIXEDMAP;
	}
	vma->vm_private_data = NULL;
	vma->vm_ops = &tramp_vm_ops;
	tramp_open(vma);
	return vma->vm_private_data ? 0 : -ENOMEM;
}

static long ioc_info(void __user *arg)
{
	struct trampfd_info in = {
		.version = TRAMPFD_VERSION,
		.call_ret = STUB_RET,
		.fault_calls = atomic64_read(&st_fault),
		.ioctl_calls = atomic64_read(&st_ioctl),
		.slow_stack = atomic64_read(&st_slow),
		.bp_fixups = atomic64_read(&st_bp),
		.page_swaps = atomic64_read(&st_swaps),
	};

	return copy_to_user(arg, &in, sizeof(in)) ? -EFAULT : 0;
}

static long trampfd_ioctl(struct file *f, unsigned int cmd, unsigned long a)
{
	void __user *arg = (void __user *)a;

	switch (cmd) {
	case TRAMPFD_IOC_CALL:
		return ioc_call(f);
	case TRAMPFD_IOC_SET:
		return ioc_set(f, arg, false);
	case TRAMPFD_IOC_CLEAR:
		return ioc_set(f, arg, true);
	case TRAMPFD_IOC_ALLOW_PCS:
		return ioc_allow_pcs(f->private_data, arg);
	case TRAMPFD_IOC_CALL_FD:
		return ioc_call_fd(f, (int)a);
	case TRAMPFD_IOC_INFO:
		return ioc_info(arg);
	case TRAMPFD_IOC_JIT_CREATE:
		return ioc_jit_create(f, arg, false);
	case TRAMPFD_IOC_JIT_REGION:
		return ioc_jit_create(f, arg, true);
	case TRAMPFD_IOC_JIT_APPEND:
		return ioc_jit_append(f, arg);
	case TRAMPFD_IOC_JIT_DESTROY:
		return ioc_jit_destroy(f, arg);
	}
	return -ENOTTY;
}

static int trampfd_open(struct inode *inode, struct file *f)
{
	struct tfile *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (!tf)
		return -ENOMEM;
	mutex_init(&tf->lock);
	tf->call_fd = -1;
	f->private_data = tf;
	return 0;
}

static int trampfd_release(struct inode *inode, struct file *f)
{
	struct tfile *tf = f->private_data;

	if (tf->stub)
		__free_page(tf->stub);
	kfree(tf->pcs);
	kfree(tf);
	return 0;
}

static const struct file_operations trampfd_fops = {
	.owner = THIS_MODULE,
	.open = trampfd_open,
	.release = trampfd_release,
	.mmap = trampfd_mmap,
	.unlocked_ioctl = trampfd_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice trampfd_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "trampfd",
	.fops = &trampfd_fops,
	.mode = 0666,
};

static int __init trampfd_init(void)
{
	int err = register_die_notifier(&bp_nb);

	if (err)
		return err;
	err = misc_register(&trampfd_dev);
	if (err)
		unregister_die_notifier(&bp_nb);
	return err;
}

static void __exit trampfd_exit(void)
{
	misc_deregister(&trampfd_dev);
	unregister_die_notifier(&bp_nb);
}

module_init(trampfd_init);
module_exit(trampfd_exit);
MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("trampfd: kernel trampolines and JIT code for trampjit");
