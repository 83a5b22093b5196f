"""tSNE embeddings of layer representations (Sandbrink et al. 2023, Methods; original ``tsne.py``).

Per layer: flatten each trajectory's response → PCA (50 components) → ``TSNE(2, perplexity 40, max_iter 300)``
with ``random_state`` 0 (scikit-learn's current defaults otherwise: PCA initialisation, automatic learning rate).
Small samples: the PCA keeps at most min(n, p) components and the perplexity is capped below n/3 (scikit-learn
requires perplexity < n; beyond n/3 the neighbourhoods cover everything).
"""

from __future__ import annotations

import numpy as np


def tsne_embedding(
    x: np.ndarray, n_pca: int = 50, perplexity: float = 40.0, max_iter: int = 300, random_state: int = 0
) -> np.ndarray:
    """2-D tSNE of ``x`` (n, ...) flattened per sample → (n, 2) float32 (NaN when n < 4)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    n = len(x)
    if n < 4:
        return np.full((n, 2), np.nan, dtype=np.float32)
    components = min(n_pca, n, x.shape[1])
    reduced = PCA(n_components=components, random_state=random_state).fit_transform(x) if components < x.shape[1] else x
    tsne = TSNE(
        n_components=2,
        perplexity=min(perplexity, max(1.0, (n - 1) / 3)),
        max_iter=max(250, max_iter),
        random_state=random_state,
        init="pca",
        learning_rate="auto",
    )
    return tsne.fit_transform(reduced).astype(np.float32)


def pca_scores_from_gram(gram: np.ndarray, n_components: int) -> np.ndarray:
    """The first ``n_components`` principal-component scores (n, k) float64 of a representation from its
    column-centred Gram matrix X̃X̃ᵀ (n, n): eigenvectors times √eigenvalue (the exact PCA, what
    ``PCA.fit_transform`` returns up to each component's sign; here the sign makes each column's largest
    magnitude positive). For representations too large to hold (neuromotor.represent.blocks)."""
    values, vectors = np.linalg.eigh(np.asarray(gram, dtype=np.float64))
    order = np.argsort(values)[::-1][: max(0, min(n_components, len(values)))]
    scores = vectors[:, order] * np.sqrt(np.maximum(values[order], 0.0))
    signs = np.sign(scores[np.argmax(np.abs(scores), axis=0), np.arange(scores.shape[1])])
    return scores * np.where(signs == 0, 1.0, signs)
