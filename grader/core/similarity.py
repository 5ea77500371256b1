"""Which submissions hold the same code: token winnowing, as MOSS does it.

What is compared is what each student wrote. A submission's code (the lesson's module files as
the intake reads them; a notebook through the code the grader extracts from it) is tokenized
with Python's :mod:`tokenize`. Comments, docstrings, blank lines and indentation are dropped;
every identifier becomes ``V`` (keywords, builtins and attribute names after ``.``, such as
``np.maximum``, are kept: renaming variables hides nothing), every number ``N``, every string
``S``. A line equal, so normalised, to a line of the released stub (imports, ``def`` lines,
``raise NotImplementedError``) is boilerplate and dropped: the stub alone leaves nothing.

Each remaining run of :data:`K` tokens is hashed (a polynomial hash of CRC-32 token codes:
the same on every run and machine) and the hashes are winnowed: of every :data:`W` consecutive
ones the rightmost smallest is kept, with its position. Two submissions share a passage of at
least ``K + W - 1`` tokens only if they share a kept hash, wherever the passage stands (so
reordered functions still match). A hash kept by more than :data:`COMMON_SHARE` of the
submissions (and at least :data:`COMMON_MIN` of them) is left out: an idiom, not a copy.

A pair's matching regions are the runs of tokens its shared hashes cover; only regions of at
least :data:`MIN_REGION` tokens count, so that one shared line of a short formula (which
correct solutions are expected to share) weighs nothing and long copied passages weigh all.
The score of a pair is the mean, over its two sides, of the share of the side's tokens inside
counted regions: 1 for a copy, about 0.5 for a copy of half of the functions, near 0 for
independent solutions.
"""

from __future__ import annotations

import builtins
import io
import keyword
import tokenize
import zlib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

#: Tokens per hashed run (k of the k-grams).
K = 12
#: Window of the winnowing: one hash kept of every W consecutive ones.
W = 8
#: The fewest tokens a matching region needs to count.
MIN_REGION = 30
#: Candidates whose coverage is computed together (bounds the memory per step).
CHUNK = 128
#: A hash kept by more than this share of the submissions (and by COMMON_MIN or more) is an idiom.
COMMON_SHARE = 0.5
COMMON_MIN = 10
_BASE = np.uint64(1_000_003)
_BUILTINS = frozenset(dir(builtins))
_FSTRING_START, _FSTRING_END = getattr(tokenize, "FSTRING_START", -1), getattr(tokenize, "FSTRING_END", -2)
_DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass
class Code:
    """One submission's code as compared: its text, its normalised tokens (without the
    boilerplate) with the line of each, and its winnowed fingerprints."""

    name: str
    text: str
    tokens: list[str] = field(default_factory=list)
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))


@dataclass
class Region:
    """A matching passage: its first and last lines in each of the pair's two texts, its length
    in tokens, and the lines of each text that hold its tokens (a passage of a reordered copy
    lies in several places of the other text)."""

    a_lines: tuple[int, int]
    b_lines: tuple[int, int]
    tokens: int
    a_marked: list[int] = field(default_factory=list)
    b_marked: list[int] = field(default_factory=list)


@dataclass
class Pair:
    """Two submissions, their score in [0, 1], each side's share of tokens in counted regions, and the regions."""

    a: str
    b: str
    score: float
    coverage_a: float
    coverage_b: float
    regions: list[Region] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "score": round(self.score, 4),
            "coverage_a": round(self.coverage_a, 4),
            "coverage_b": round(self.coverage_b, 4),
            "regions": [
                {"a_lines": list(r.a_lines), "b_lines": list(r.b_lines), "tokens": r.tokens, "a_marked": r.a_marked, "b_marked": r.b_marked} for r in self.regions
            ],
        }


def normalised_lines(text: str) -> list[tuple[int, list[str]]]:
    """``(line number, normalised tokens)`` of each line of Python ``text`` that holds code (see
    the module docstring); a text that stops tokenizing is read up to there."""
    significant: list[tuple[int, int, str]] = []  # (type, line, normalised)
    previous = ""
    inside_fstring = 0  # Python 3.12+ tokenizes an f-string's parts: it stays one string here, as before
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == _FSTRING_START:
                inside_fstring += 1
                if inside_fstring > 1:
                    continue
            elif token.type == _FSTRING_END:
                inside_fstring -= 1
                continue
            elif inside_fstring or token.type in _DROPPED:
                continue
            if token.type == tokenize.NAME:
                word = token.string if keyword.iskeyword(token.string) or token.string in _BUILTINS or previous == "." else "V"
            elif token.type == tokenize.NUMBER:
                word = "N"
            elif token.type in (tokenize.STRING, _FSTRING_START):
                word = "S"
            elif token.type == tokenize.NEWLINE:
                word = ";"
            elif token.type == tokenize.OP:
                word = token.string
            else:
                continue  # the inside of an f-string, an error token
            significant.append((tokenize.STRING if token.type == _FSTRING_START else token.type, token.start[0], word))
            previous = token.string if token.type == tokenize.OP else ""
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    lines: dict[int, list[str]] = {}
    for index, (kind, line, word) in enumerate(significant):
        if kind == tokenize.STRING and _statement_of_its_own(significant, index):
            continue  # a docstring, or a string that does nothing
        lines.setdefault(line, []).append(word)
    return [(line, words) for line, words in lines.items() if words != [";"]]


def _statement_of_its_own(tokens: list[tuple[int, int, str]], index: int) -> bool:
    before = tokens[index - 1][2] if index else ";"
    after = tokens[index + 1][2] if index + 1 < len(tokens) else ";"
    return before in (";", ":") and after == ";"


def fingerprint(name: str, text: str, boilerplate: frozenset[str] = frozenset()) -> Code:
    """The :class:`Code` of ``text``; lines whose normalised tokens (joined by spaces) are in
    ``boilerplate`` (:func:`boilerplate_of` the stub) are left out."""
    code = Code(name, text)
    token_lines = []
    for line, words in normalised_lines(text):
        if " ".join(words) in boilerplate:
            continue
        code.tokens.extend(words)
        token_lines.extend([line] * len(words))
    code.lines = np.asarray(token_lines, dtype=np.int32)
    code.hashes, code.positions = _winnow(_kgram_hashes(code.tokens))
    return code


def boilerplate_of(*texts: str) -> frozenset[str]:
    """The normalised lines of what every student was given (the released stub)."""
    return frozenset(" ".join(words) for text in texts for _, words in normalised_lines(text))


def _kgram_hashes(tokens: list[str]) -> np.ndarray:
    if len(tokens) < K:
        return np.zeros(0, dtype=np.uint64)
    codes = np.fromiter((zlib.crc32(token.encode()) for token in tokens), dtype=np.uint64, count=len(tokens))
    hashes = np.zeros(len(tokens) - K + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(K):
            hashes = hashes * _BASE + codes[offset : offset + len(hashes)]
    return hashes


def _winnow(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rightmost smallest hash of every window of :data:`W`, each position once."""
    if len(hashes) == 0:
        return hashes, np.zeros(0, dtype=np.int32)
    if len(hashes) <= W:
        position = len(hashes) - 1 - int(np.argmin(hashes[::-1]))
        return hashes[[position]], np.asarray([position], dtype=np.int32)
    windows = np.lib.stride_tricks.sliding_window_view(hashes, W)
    rightmost = W - 1 - np.argmin(windows[:, ::-1], axis=1)
    positions = np.unique(np.arange(len(windows)) + rightmost).astype(np.int32)
    return hashes[positions], positions


def common_hashes(codes: list[Code]) -> set[int]:
    """The hashes kept by too many submissions to tell anything (see the module docstring)."""
    if len(codes) < COMMON_MIN:
        return set()
    counts: dict[int, int] = {}
    for code in codes:
        for value in set(code.hashes.tolist()):
            counts[value] = counts.get(value, 0) + 1
    limit = max(COMMON_MIN, COMMON_SHARE * len(codes))
    return {value for value, count in counts.items() if count > limit}


def compare(a: Code, b: Code, ignored: set[int] | frozenset[int] = frozenset()) -> Pair:
    """The :class:`Pair` of ``a`` and ``b`` (see the module docstring)."""
    shared = (set(a.hashes.tolist()) & set(b.hashes.tolist())) - set(ignored)
    if not shared:
        return Pair(a.name, b.name, 0.0, 0.0, 0.0)
    runs_a = _runs(a, shared)
    runs_b = _runs(b, shared)
    coverage_a = sum(end - start for start, end, _ in runs_a) / len(a.tokens)
    coverage_b = sum(end - start for start, end, _ in runs_b) / len(b.tokens)
    where_in_b: dict[int, list[int]] = {}
    for value, position in zip(b.hashes.tolist(), b.positions.tolist()):
        if value in shared:
            where_in_b.setdefault(value, []).append(position)
    regions = []
    for start, end, values in runs_a:
        in_b = [position for value in values for position in where_in_b.get(value, [])]
        if in_b:
            b_start, b_end = min(in_b), min(max(in_b) + K, len(b.tokens))
            b_marked = sorted({int(line) for position in in_b for line in b.lines[position : position + K]})
            a_marked = sorted({int(line) for line in a.lines[start:end]})
            regions.append(Region((int(a.lines[start]), int(a.lines[end - 1])), (int(b.lines[b_start]), int(b.lines[b_end - 1])), end - start, a_marked, b_marked))
    return Pair(a.name, b.name, (coverage_a + coverage_b) / 2, coverage_a, coverage_b, regions)


def _runs(code: Code, shared: set[int]) -> list[tuple[int, int, list[int]]]:
    """``(first token, end, hashes)`` of each run of tokens covered by ``shared`` hashes that
    is at least :data:`MIN_REGION` tokens long."""
    runs: list[tuple[int, int, list[int]]] = []
    start = end = -1
    values: list[int] = []
    for value, position in zip(code.hashes.tolist(), code.positions.tolist()):
        if value not in shared:
            continue
        if position <= end:
            end = max(end, position + K)
            values.append(value)
            continue
        if end - start >= MIN_REGION:
            runs.append((start, end, values))
        start, end, values = position, position + K, [value]
    if end - start >= MIN_REGION:
        runs.append((start, end, values))
    return runs


def coverage_matrix(codes: list[Code], ignored: set[int] | None = None) -> np.ndarray:
    """``C[a, b]``: the share of submission ``a``'s tokens inside regions of at least
    :data:`MIN_REGION` tokens that it shares with ``b`` (what :func:`compare` computes, for
    every pair at once). Only pairs that share a hash are looked at (a sparse incidence of the
    hashes finds them); for each submission, the tokens its shared hashes cover are marked for
    its candidates together, :data:`CHUNK` of them at a time, with numpy."""
    count = len(codes)
    ignored = common_hashes(codes) if ignored is None else ignored
    kept = [np.asarray([value not in ignored for value in code.hashes.tolist()], dtype=bool) for code in codes]
    every = np.concatenate([code.hashes[mask] for code, mask in zip(codes, kept)] or [np.zeros(0, dtype=np.uint64)])
    unique, inverse = np.unique(every, return_inverse=True)
    sizes = [int(mask.sum()) for mask in kept]
    ids = np.split(inverse.astype(np.int64), np.cumsum(sizes)[:-1]) if count else []
    owners = np.repeat(np.arange(count), sizes)
    incidence = scipy.sparse.csr_matrix((np.ones(len(inverse), dtype=np.float32), (owners, inverse)), shape=(count, len(unique)))
    incidence.sum_duplicates()
    incidence.data[:] = 1  # a hash kept twice by one submission counts once
    shared = (incidence @ incidence.T).toarray()
    np.fill_diagonal(shared, 0)
    coverage = np.zeros((count, count), dtype=np.float64)
    for a, code in enumerate(codes):
        length = len(code.tokens)
        candidates = np.nonzero(shared[a] >= 1)[0]
        if not length or not len(candidates):
            continue
        positions = code.positions[kept[a]]
        for chunk in range(0, len(candidates), CHUNK):
            rows_of = candidates[chunk : chunk + CHUNK]
            rows, columns = incidence[rows_of][:, ids[a]].nonzero()
            width = length + K + 1
            edges = np.bincount(rows * width + positions[columns], minlength=len(rows_of) * width).astype(np.int32)
            edges -= np.bincount(rows * width + np.minimum(positions[columns] + K, length), minlength=len(rows_of) * width).astype(np.int32)
            covered = np.cumsum(edges.reshape(len(rows_of), width), axis=1)[:, :length] > 0
            steps = np.diff(np.pad(covered, ((0, 0), (1, 1))).astype(np.int8), axis=1)
            run_rows, starts = np.nonzero(steps == 1)
            _, ends = np.nonzero(steps == -1)
            lengths = ends - starts
            long = lengths >= MIN_REGION
            coverage[a, rows_of] = np.bincount(run_rows[long], weights=lengths[long], minlength=len(rows_of)) / length
    return coverage


def ranked_pairs(codes: list[Code], coverage: np.ndarray, ignored: set[int], threshold: float = 0.0) -> tuple[list[Pair], list[float]]:
    """``(the pairs of codes scoring at least threshold, with their regions, best first; the
    score of every pair above 0)`` from their :func:`coverage_matrix`. Ties are ordered by
    name: the same order on every run."""
    upper = np.triu((coverage + coverage.T) / 2, 1)
    rows, columns = np.nonzero(upper > 0)
    every = sorted((float(value) for value in upper[rows, columns]), reverse=True)
    pairs = []
    for i, j in zip(rows.tolist(), columns.tolist()):
        if upper[i, j] >= threshold:
            pair = compare(codes[i], codes[j], ignored)
            pair.score, pair.coverage_a, pair.coverage_b = float(upper[i, j]), float(coverage[i, j]), float(coverage[j, i])
            pairs.append(pair)
    pairs.sort(key=lambda pair: (-round(pair.score, 12), pair.a, pair.b))
    return pairs, every


def similar_pairs(codes: list[Code], threshold: float = 0.0) -> tuple[list[Pair], list[float]]:
    """:func:`ranked_pairs` of ``codes``, every pair compared at once."""
    ignored = common_hashes(codes)
    return ranked_pairs(codes, coverage_matrix(codes, ignored), ignored, threshold)


def submission_code(lesson, path) -> str:
    """The code of a submission (folder, archive or notebook at ``path``) of ``lesson``: its
    module files as the intake reads them (a notebook as the code the grader takes from it)."""
    from grader.runner.intake import read_submission

    return code_of_files(lesson, read_submission(path, first=lesson.module_files))


def code_of_files(lesson, files) -> str:
    """The lesson's module files of a submission read by the intake (a
    :class:`~grader.runner.intake.SubmissionFiles`), as one text."""
    return "\n".join(files.files[name].decode("utf-8", "replace") for name in lesson.module_files if name in files.files)


def lesson_boilerplate(lesson) -> frozenset[str]:
    """The normalised lines of ``lesson``'s released stubs (its module files): what every
    student was given."""
    from grader.course.paths import assignment_dir

    folder = assignment_dir(lesson.id)
    return boilerplate_of(*((folder / name).read_text() for name in lesson.module_files if (folder / name).is_file()))
