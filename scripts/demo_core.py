"""End-to-end run on real data: a tied GMM on 5000 Fashion-MNIST images in 3 principal components."""

import time

import numpy as np
from sklearn.decomposition import PCA

from gmmlab import GaussianMixture
from gmmlab.data import load_fashion_mnist

start = time.perf_counter()
images, labels = load_fashion_mnist("train", flatten=True)
rng = np.random.RandomState(0)
subset = rng.choice(len(images), 5000, replace=False)
Z = PCA(n_components=3, random_state=0).fit_transform(images[subset])
for k in (5, 10, 15):
    gm = GaussianMixture(n_components=k, covariance_type="tied", random_state=0).fit(Z)
    print(f"tied GMM, K={k:2d}: BIC = {gm.bic(Z):10.1f} (lower is better), {gm.n_iter_} EM iterations")
print(f"done in {time.perf_counter() - start:.1f} s")
