"""WordNet 3.0 as a fetched resource: Debian packages, checksums, the lexnames table, errors."""

import hashlib
import shutil

import pytest

from pse_tf.data import DataError
from pse_tf.data import wordnet
from pse_tf.data.__main__ import main
from pse_tf.data.sources import Source


class Failing(Source):
    def __init__(self, label):
        self.label = label

    def __str__(self):
        return self.label

    def provide(self, files, dest):
        raise DataError(f"{self.label} is offline")


class CopyFrom(Source):
    def __init__(self, folder):
        self.folder, self.calls = folder, []

    def __str__(self):
        return f"copy of {self.folder}"

    def provide(self, files, dest):
        self.calls.append(list(files))
        for f in files:
            shutil.copyfile(self.folder / f, dest / f)


@pytest.fixture(scope="module")
def real_folder():
    """The user's verified WordNet folder (fetched from the Debian packages if absent)."""
    return wordnet.fetch(verbose=False)


def test_lexnames_is_the_documented_table():
    text = wordnet.lexnames_text()
    lines = text.splitlines()
    assert len(lines) == 45 and text.endswith("\n")
    assert lines[0] == "00\tadj.all\t3" and lines[3] == "03\tnoun.Tops\t1"
    assert lines[29] == "29\tverb.body\t2" and lines[44] == "44\tadj.ppl\t3"
    assert hashlib.sha256(text.encode()).hexdigest() in wordnet.SHA256["lexnames"]


def test_no_source_is_a_one_line_error(tmp_path):
    with pytest.raises(DataError) as err:
        wordnet.fetch(tmp_path, verbose=False, sources=[Failing("mirror A"), Failing("mirror B")])
    message = str(err.value)
    assert "\n" not in message and "python -m pse_tf.data fetch wordnet" in message
    assert "mirror A is offline" in message and "mirror B is offline" in message
    assert not list((tmp_path / "wordnet").glob("*"))


def test_lexnames_alone_is_written_without_any_download(tmp_path):
    with pytest.raises(DataError, match="data.noun"):
        wordnet.fetch(tmp_path, verbose=False, sources=[wordnet.Lexnames()])
    assert (tmp_path / "wordnet" / "lexnames").read_text() == wordnet.lexnames_text()


def test_corrupt_file_is_refused_and_replaced(tmp_path, real_folder):
    bad = tmp_path / "bad"
    shutil.copytree(real_folder, bad, ignore=shutil.ignore_patterns("retrofitted-*", ".*"))
    data = bytearray((bad / "index.noun").read_bytes())
    data[-2] ^= 0x01
    (bad / "index.noun").write_bytes(data)
    # A source serving the corrupt copy: refused, named, never cached.
    with pytest.raises(DataError, match=r"wordnet/index.noun: sha256 .* expected"):
        wordnet.fetch(tmp_path / "cache", verbose=False, sources=[CopyFrom(bad)])
    assert not (tmp_path / "cache" / "wordnet" / "index.noun").exists()
    # A corrupt file in the cache is removed and fetched again from a good source.
    cache = tmp_path / "cache" / "wordnet"
    shutil.copyfile(bad / "index.noun", cache / "index.noun")
    good = CopyFrom(real_folder)
    assert wordnet.fetch(tmp_path / "cache", verbose=False, sources=[good]) == cache
    assert good.calls == [["index.noun"]]
    wordnet.verify("index.noun", (cache / "index.noun").read_bytes())


@pytest.mark.slow
def test_fetch_from_the_debian_packages(tmp_path):
    """apt-get download wordnet-base + wordnet-sense-index, dpkg -x, verify (a few seconds)."""
    assert main(["fetch", "wordnet", "--data-dir", str(tmp_path), "-q"]) == 0
    folder = tmp_path / "wordnet"
    assert sorted(p.name for p in folder.iterdir()) == sorted(wordnet.FILES)
    for name in wordnet.FILES:
        wordnet.verify(name, (folder / name).read_bytes())
