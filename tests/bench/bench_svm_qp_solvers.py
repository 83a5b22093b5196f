"""Benchmark: general QP solvers on one paper-pair SVM dual, with the same objective and certificate as ours.

The problem: the dual of LinearSVC(loss='hinge') on the first n fit samples of the paper pair
(:mod:`svm_paper_pair_data`), 0 <= alpha <= C; certificate = largest projected gradient in margin units (<= 1e-6).
Solvers: ``old`` (:func:`neuromotor.svm.solver.solve_box_qp` on the dense Q), PIQP (dense), proxsuite (dense
ProxQP with box constraints), Clarabel (the primal with hinge slacks, sparse). Each result is then finished by our
projected Newton method from its point, to show how far it was. The three are not project dependencies (none was
adopted, see docs/performance.md): ``pip install piqp proxsuite clarabel`` first.

    python tests/bench/bench_svm_qp_solvers.py joint_coords 2400 1000 old,piqp,proxsuite,clarabel
"""
import os,sys
for v in ("OMP_NUM_THREADS","OPENBLAS_NUM_THREADS"): os.environ[v]="1"
import time, numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svm_paper_pair_data import build_pair
from neuromotor.svm.solver import *
d=build_pair()
inp=sys.argv[1]; n=int(sys.argv[2]); C=float(sys.argv[3]); which=sys.argv[4].split(',')
X=d[inp].reshape(len(d['label']),-1)[:n].astype(np.float64); y=np.where(d['label'][:n]==11,1.,-1.)
Z=y[:,None]*np.hstack([X,np.ones((n,1))]); Q=Z@Z.T
def kkt(a):
    a=np.clip(a,0,C); g=Q@a-1; return float(np.abs(projected_gradient(a,g,C)).max())
def obj(a): a=np.clip(a,0,C); return 0.5*a@Q@a-a.sum()
for w in which:
    t0=time.time()
    try:
        if w=='old':
            r=solve_box_qp(Q,np.ones(n),C); a=r.alpha
        elif w=='proxsuite':
            import proxsuite
            qp=proxsuite.proxqp.dense.QP(n,0,0,True)
            qp.settings.eps_abs=1e-9; qp.settings.eps_rel=0; qp.settings.max_iter=100000
            qp.init(Q,-np.ones(n),None,None,None,None,None,np.zeros(n),np.full(n,C))
            qp.solve(); a=qp.results.x
        elif w=='piqp':
            import piqp
            s=piqp.DenseSolver(); s.settings.eps_abs=1e-9; s.settings.eps_rel=0; s.settings.max_iter=500
            s.setup(np.asfortranarray(Q),-np.ones(n),None,None,None,None,None,np.zeros(n),np.full(n,C)); s.solve(); a=s.result.x
        elif w=='clarabel':
            import clarabel, scipy.sparse as sp
            r=Z.shape[1]
            # primal: vars [v (r), xi (n)]; min 1/2 v'v + C 1'xi ; -Zv - xi <= -1 ; -xi <= 0
            P=sp.block_diag([sp.eye(r),sp.csc_matrix((n,n))]).tocsc()
            q=np.concatenate([np.zeros(r),np.full(n,C)])
            A=sp.vstack([sp.hstack([-sp.csc_matrix(Z),-sp.eye(n)]), sp.hstack([sp.csc_matrix((n,r)),-sp.eye(n)])]).tocsc()
            b=np.concatenate([-np.ones(n),np.zeros(n)])
            st=clarabel.DefaultSettings(); st.verbose=False; st.tol_gap_abs=1e-10; st.tol_gap_rel=1e-10; st.tol_feas=1e-10
            sol=clarabel.DefaultSolver(P,q,A,b,[clarabel.NonnegativeConeT(2*n)],st).solve(); a=np.array(sol.z[:n])
        t=time.time()-t0
        t1=time.time(); fin=solve_box_qp(Q,np.ones(n),C,np.clip(a,0,C)); tf=time.time()-t1
        print(f"{w:10s} n={n} C={C:g}: {t:7.1f} s, kkt {kkt(a):.3g}, obj {obj(a):.12g}; + projected Newton finish {tf:.1f} s -> kkt {fin.kkt:.3g} ({fin.iterations} it)", flush=True)
    except Exception as e:
        print(w, 'failed', repr(e)[:200], time.time()-t0, flush=True)
