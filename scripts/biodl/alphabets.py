"""Sequence alphabets and the 256-entry byte lookup tables that encode them.

Token 0 is padding; letters are tokens 1..K in alphabet order; the ambiguity
letter (N for nucleotides, X for protein) is token K+1 when allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAD = 0
WHITESPACE = 254
INVALID = 255


@dataclass(frozen=True)
class Alphabet:
    """A residue alphabet: canonical letters, synonyms and ambiguity codes."""

    name: str
    letters: str
    ambiguity: str
    ambiguous_codes: str
    synonyms: tuple[tuple[str, str], ...] = ()
    complement: str | None = None
    kmer_k: int = 4  # default k of the baselines' k-mer profiles: 4**4 = 256 columns, 20**2 = 400

    @property
    def size(self) -> int:
        """Number of canonical letters (tokens 1..size)."""
        return len(self.letters)

    @property
    def ambiguity_token(self) -> int:
        """Token of the ambiguity letter."""
        return self.size + 1

    def vocabulary(self, allow_ambiguous: bool) -> str:
        """Letters in token order, starting at token 1."""
        return self.letters + (self.ambiguity if allow_ambiguous else "")

    def describe(self, allow_ambiguous: bool) -> str:
        """Human-readable list of accepted letters for error messages."""
        accepted = self.letters + "".join(s for s, _ in self.synonyms)
        if allow_ambiguous:
            return f"{accepted} and ambiguity codes {self.ambiguous_codes}"
        return f"{accepted}; ambiguity codes are not allowed"


DNA = Alphabet("DNA", "ACGT", "N", "NRYSWKMBDHV", complement="TGCA")
RNA = Alphabet("RNA", "ACGU", "N", "NRYSWKMBDHV", synonyms=(("T", "U"),), complement="UGCA")
PROTEIN = Alphabet("protein", "ACDEFGHIKLMNPQRSTVWY", "X", "XBZJUO", kmer_k=2)

ALPHABETS = {"dna": DNA, "rna": RNA, "protein": PROTEIN}


def get_alphabet(name: str) -> Alphabet:
    """Return the alphabet called ``name`` (dna, rna or protein)."""
    try:
        return ALPHABETS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown alphabet {name!r}; choose one of {sorted(ALPHABETS)}") from None


def lookup_table(alphabet: Alphabet, allow_ambiguous: bool) -> np.ndarray:
    """Byte → token table: letters of either case, whitespace marked, all else invalid."""
    table = np.full(256, INVALID, dtype=np.uint8)
    for byte in b" \t\r\n\v\f":
        table[byte] = WHITESPACE
    pairs = [(letter, token) for token, letter in enumerate(alphabet.letters, start=1)]
    pairs += [(synonym, alphabet.letters.index(target) + 1) for synonym, target in alphabet.synonyms]
    if allow_ambiguous:
        pairs += [(code, alphabet.ambiguity_token) for code in alphabet.ambiguous_codes]
    for letter, token in pairs:
        table[ord(letter.upper())] = token
        table[ord(letter.lower())] = token
    return table


def complement_table(alphabet: Alphabet) -> np.ndarray:
    """Token → complementary token table (padding and ambiguity map to themselves)."""
    if alphabet.complement is None:
        raise ValueError(f"the {alphabet.name} alphabet has no complement")
    table = np.arange(256, dtype=np.uint8)
    for token, partner in enumerate(alphabet.complement, start=1):
        table[token] = alphabet.letters.index(partner) + 1
    return table


def decode(tokens: np.ndarray, alphabet: Alphabet) -> str:
    """Turn one row of tokens back into letters, dropping padding."""
    letters = np.frombuffer(("\0" + alphabet.letters + alphabet.ambiguity).encode(), dtype=np.uint8)
    row = np.asarray(tokens)
    return letters[row[row != PAD]].tobytes().decode()
