"""Notes become reasons: group the notes no reason fits, so people can name what the data groups.

TF-IDF over words and word pairs, then agglomerative clustering on cosine distances (average
linkage, cut at a distance, so the number of groups follows the notes). Small groups are dropped;
each group is described by its heaviest terms and its most typical notes (the closest to the
group's centre). No Django here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

MIN_GROUP = 5
MAX_GROUPS = 8
DISTANCE = 0.95  # average cosine distance at which two groups stay apart
# scikit-learn's default words, except that a hyphen or apostrophe inside a word keeps it whole:
# "in-house" stays one word instead of "house" (its "in" is a stop word), "didn't" stays "didn't".
WORD = r"(?u)\b\w(?:[\w'’-]*\w)?\b"


def min_notes(min_size: int = MIN_GROUP) -> int:
    """The fewest worded notes that can be grouped: two groups' worth."""
    return 2 * min_size


LEAVE_OUT_SHOWN = 200  # notes offered to leave out, the least typical: a page, not a group of 2,000


@dataclass(frozen=True)
class NoteGroup:
    terms: list[str]  # the heaviest terms of the group's centre, heaviest first
    notes: list[str]  # its most typical notes, most typical first
    size: int
    outcome: str  # the outcome most of its labels have
    outcome_share: float
    # its notes' keys (``keys`` given to note_groups; else their positions), most typical first
    members: tuple[int, ...] = ()
    member_notes: tuple[str, ...] = ()  # each member's note, in the same order: the least typical show last

    @property
    def shown_for_leaving_out(self) -> list[tuple[int, str]]:
        """(key, note) of the least typical ``LEAVE_OUT_SHOWN`` members, most typical first: where a
        note the grouping caught by a shared word sits, for an admin to leave out."""
        pairs = list(zip(self.members, self.member_notes, strict=True))
        return pairs[-LEAVE_OUT_SHOWN:]

    @property
    def label(self) -> str:
        """A suggested reason label: the two heaviest terms, within the length a reason may have
        (60 characters, 30 a word: a URL in the notes does not make a label the form refuses)."""
        terms = [_as_written(term, self.member_notes or self.notes) for term in self.terms[:2]]
        words = " ".join(word[:30] for word in " / ".join(terms).split())[:60].strip()
        return words[:1].upper() + words[1:]

    @property
    def code(self) -> str:
        """A suggested reason code (a slug of the label)."""
        return re.sub(r"[^a-z0-9]+", "_", " ".join(self.terms[:2]).lower()).strip("_")[:50] or "note_group"


def _as_written(term: str, notes: Sequence[str]) -> str:
    """``term`` (lowercased by the vectoriser) as the notes write it when they keep capitals inside
    it ("soc 2" → "SOC 2", as most notes have it); else lowercase, so a word that opens a sentence
    ("Stalled") does not carry its capital into a label."""
    pattern = re.compile(r"\s+".join(re.escape(word) for word in term.split()), re.IGNORECASE)
    found = Counter(match.group(0) for note in notes for match in pattern.finditer(note))
    written = found.most_common(1)[0][0] if found else term
    return written if written[1:] != written[1:].lower() else term


def note_groups(
    notes: Sequence[str],
    outcomes: Sequence[str],
    *,
    min_size: int = MIN_GROUP,
    max_groups: int = MAX_GROUPS,
    typical: int = 3,
    distance: float = DISTANCE,
    keys: Sequence[int] | None = None,
) -> list[NoteGroup]:
    """Groups of at least ``min_size`` similar notes, biggest first (none when there are too few
    notes or words to group). ``outcomes[i]`` is the outcome of the label ``notes[i]`` came with,
    ``keys[i]`` its key (say, the label's id) for the group's ``members``."""
    if len(notes) != len(outcomes):
        raise ValueError(f"{len(notes)} notes but {len(outcomes)} outcomes")
    if keys is not None and len(keys) != len(notes):
        raise ValueError(f"{len(notes)} notes but {len(keys)} keys")
    if len(notes) < min_notes(min_size):
        return []
    vectorizer = TfidfVectorizer(
        stop_words="english", token_pattern=WORD, ngram_range=(1, 2), min_df=2, sublinear_tf=True
    )
    try:
        matrix = vectorizer.fit_transform(notes)
    except ValueError:  # no term left after the stop words and document-frequency cuts
        return []
    has_words = np.asarray(matrix.getnnz(axis=1)) > 0
    rows = np.flatnonzero(has_words)
    if len(rows) < min_notes(min_size):
        return []
    worded = matrix[rows]
    distances = np.clip(1.0 - (worded @ worded.T).toarray(), 0.0, None)  # cosine: the rows are unit length
    clusters = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance
    ).fit_predict(distances)
    terms = vectorizer.get_feature_names_out()
    groups: list[NoteGroup] = []
    for cluster in np.unique(clusters):
        members = rows[clusters == cluster]
        if len(members) < min_size:
            continue
        centre = np.asarray(matrix[members].mean(axis=0)).ravel()
        closeness = np.asarray(matrix[members] @ centre).ravel()
        order = members[np.argsort(-closeness, kind="stable")]
        typical_notes: list[str] = []
        for i in order:
            if notes[i] not in typical_notes:
                typical_notes.append(notes[i])
            if len(typical_notes) == typical:
                break
        outcome, count = Counter(outcomes[i] for i in members).most_common(1)[0]
        groups.append(
            NoteGroup(
                terms=[str(terms[j]) for j in _distinct_terms(_heaviest(centre, terms, typical_notes[0]), terms)][:4],
                notes=typical_notes,
                size=len(members),
                outcome=outcome,
                outcome_share=count / len(members),
                members=tuple(int(keys[i]) if keys is not None else int(i) for i in order),
                member_notes=tuple(notes[i] for i in order),
            )
        )
    return sorted(groups, key=lambda g: -g.size)[:max_groups]


def _heaviest(centre: np.ndarray, terms: np.ndarray, typical: str, top: int = 12) -> list[int]:
    """The ``top`` heaviest terms; terms of equal weight (notes that all say the same words) in the
    order the most typical note says them, a word pair before its first word."""
    text = typical.lower()

    def said_at(j: int) -> int:
        at = text.find(str(terms[j]))
        return len(text) if at < 0 else at

    nonzero = [int(j) for j in np.flatnonzero(centre > 0)]
    ranked = sorted(nonzero, key=lambda j: (-round(float(centre[j]), 9), said_at(j), -len(str(terms[j]))))
    return ranked[:top]


def _distinct_terms(indices: Sequence[int], terms: np.ndarray) -> list[int]:
    """Drop a term that repeats a word of a heavier one ("budget freeze" after "budget")."""
    kept: list[int] = []
    said: set[str] = set()
    for j in indices:
        words = set(str(terms[j]).split())
        if words & said:
            continue
        kept.append(int(j))
        said |= words
    return kept
