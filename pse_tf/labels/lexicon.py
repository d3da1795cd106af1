"""Lexical knowledge for word-vector labels: WordNet 3.0 read by nltk, and retrofitted vectors.

`lexicon="wordnet"` retrofits the whole vocabulary to WordNet (Faruqui et al., 2015,
`pse_tf.labels.retrofit`), so class names and new phrases are encoded alike from the
retrofitted table. The relation graph is a rule over every vocabulary word:

- a word's senses are nltk's `synsets(word)`, all parts of speech, which include the senses of
  its base forms ("jeans" -> jean.n.01, "sneakers" -> gym_shoe.n.01);
- two words are neighbours when they share a sense (synonyms), or one has a sense that is a
  direct hypernym or hyponym of a sense of the other;
- only words of the vocabulary are nodes, so a multi-word lemma ("blue_jean") plays no part.

The table is cached in the WordNet folder, one `.npy` per hash of all its inputs.
"""

from __future__ import annotations

import functools
import os
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from pse_tf.data.wordnet import WORDLIKE
from pse_tf.labels.table_cache import cached_table, table_path

if TYPE_CHECKING:
    from gensim.models import KeyedVectors
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

LEXICONS = ("none", "wordnet")
# Bump when the graph rule or the update changes: cached tables of the old rule are then unused.
RULE_VERSION = "wordnet-syn-hyper-hypo-v1"


def check_lexicon(lexicon: str) -> str:
    if lexicon not in LEXICONS:
        raise ValueError(f"unknown lexicon {lexicon!r}; expected one of {LEXICONS}")
    return lexicon


def wordnet(data_dir: str | os.PathLike | None = None) -> WordNetCorpusReader:
    """nltk's WordNet reader over the verified WordNet 3.0 folder (fetched first if needed).

    Verified once per process and cache folder (the SHA-256 of its files), then cached. Raises
    `pse_tf.data.DataError` (one line) when WordNet can be had from no source.
    """
    from pse_tf.data import cache_dir

    return _verified_reader(str(cache_dir(data_dir)))


@functools.lru_cache(maxsize=4)
def _verified_reader(data_dir: str) -> WordNetCorpusReader:
    from pse_tf.data import wordnet as wordnet_files

    return _reader(str(wordnet_files.folder(data_dir)))


@functools.lru_cache(maxsize=2)
def _reader(root: str) -> WordNetCorpusReader:
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class WordNet30Reader(WordNetCorpusReader):
        # nltk maps a non-3.0 WordNet onto its own "wordnet" corpus for the multilingual data;
        # this folder IS WordNet 3.0, and no copy of nltk's need exist.
        def map_wn(self, version="wordnet"):
            return None

    # nltk reads only from folders on its data path (nltk.pathsec); authorise this one.
    if root not in nltk.data.path:
        nltk.data.path.append(root)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The multilingual functions")
        return WordNet30Reader(root, None)


def relation_graph(reader: WordNetCorpusReader, words: Sequence[str]):
    """The lexicon graph (module docstring) over `words`, the vocabulary in row order: a
    symmetric bool scipy.sparse.csr_matrix [V, V] with an empty diagonal."""
    import scipy.sparse as sp

    synsets = list(reader.all_synsets())  # also fills nltk's cache: synsets(word) reads no file
    column = {s.name(): k for k, s in enumerate(synsets)}
    rows, cols = [], []
    for i, word in enumerate(words):
        if isinstance(word, str) and WORDLIKE.fullmatch(word):
            for s in reader.synsets(word):
                rows.append(i)
                cols.append(column[s.name()])
    membership = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                               shape=(len(words), len(synsets)))
    hyper = [(k, column[h.name()]) for k, s in enumerate(synsets) for h in s.hypernyms()]
    h_rows, h_cols = zip(*hyper) if hyper else ((), ())
    hypernym = sp.csr_matrix((np.ones(len(hyper), np.float32), (h_rows, h_cols)),
                             shape=(len(synsets),) * 2)
    related = sp.identity(len(synsets), np.float32, format="csr") + hypernym + hypernym.T
    graph = (membership @ related @ membership.T).tocsr()
    graph.setdiag(0)
    graph.eliminate_zeros()
    return graph.astype(bool)


def retrofitted_matrix(kv: KeyedVectors, data_dir: str | os.PathLike | None = None,
                       iterations: int | None = None, verbose: bool = False) -> np.ndarray:
    """`kv.vectors` retrofitted to WordNet, [V, D] float32, from the disk cache (under
    `data_dir`, with WordNet) when it has them; `iterations` None is the paper's 10."""
    from pse_tf.labels.retrofit import ITERATIONS, retrofit

    from pse_tf.data import wordnet as wordnet_files

    iterations = ITERATIONS if iterations is None else int(iterations)
    root = wordnet_files.folder(data_dir)
    reader = _reader(str(root))
    parts = [RULE_VERSION, iterations, "\n".join(map(str, kv.index_to_key)),
             np.ascontiguousarray(kv.vectors, np.float32).tobytes()]

    def compute() -> np.ndarray:
        t0 = time.perf_counter()
        graph = relation_graph(reader, kv.index_to_key)
        t1 = time.perf_counter()
        matrix = retrofit(kv.vectors, graph, iterations)
        if verbose:
            print(f"[pse_tf.labels] WordNet graph over {len(kv)} words ({graph.nnz} links, "
                  f"{int((graph.getnnz(axis=1) > 0).sum())} linked words): {t1 - t0:.1f} s; "
                  f"{iterations} retrofitting steps: {time.perf_counter() - t1:.1f} s")
        return matrix

    return cached_table(table_path(root, "retrofitted", parts), kv.vectors.shape, compute)


def lexicon_words(kv: KeyedVectors) -> list[str]:
    """The words of `kv` that WordNet knows, in `kv`'s order: single-word lemmas, and nouns
    whose base form (nltk's morphy: "jeans" -> "jean") is one. An export keeps them, so a rare
    word the lexicon knows ("galoshes") is not refused for the vocabulary's size.

    Raises:
        pse_tf.data.DataError: WordNet could be had from no source.
    """
    reader = wordnet()
    lemmas = {name.lower() for name in reader.all_lemma_names() if "_" not in name}

    def known(word) -> bool:
        return isinstance(word, str) and (word in lemmas or word.isalpha() and any(
            base in lemmas for base in reader._morphy(word, "n")))

    return [w for w in kv.index_to_key if known(w)]
