"""Cell-key perturbation: the same contributors always get the same noise (docs/disclosure.md).

Every jeune and every jalon carries a fixed random record key in [0, 255]
(`record_key`, drawn by the database, migration 0010, never exported). A count's
cell key is the sum of its contributors' record keys modulo 256: the engine
returns it beside the count (`Valeur.cle`, `Valeur.cle_denominateur`). The
noise is read from a fixed table at (row of the count's size, cell key):

- 0 stays 0 (no contributor, no key, nothing to protect: see the doc);
- a count n ≥ 1 gets a noise in [−D, +D] (D = 4) that never takes it below 1;
- the noise is centred, its distribution the same for every n > D.

So a figure reached by any route (a page, a filter, a period, a breakdown,
an export, the CLI) from the same set of contributors is the same perturbed
figure, and a difference of two perturbed figures is the hidden count plus an
unknown noise of up to ±2D. The figures of an outsider are then protected
(`protect`): counts perturbed, and small ones (true or perturbed 1..k−1)
suppressed as before.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from fractions import Fraction

from indicators import formules
from indicators.disclosure.masking import mask
from indicators.registry import REGISTRY
from indicators.types import Nature, Valeur

KEY_SPACE = 256
D = 4  # the largest noise, in either direction
# P(noise = −4 … +4) for a count above D: triangular, centred, variance 4 (standard deviation 2)
NOISE: dict[int, Fraction] = {
    -4: Fraction(4, 100), -3: Fraction(8, 100), -2: Fraction(12, 100), -1: Fraction(16, 100), 0: Fraction(20, 100),
    1: Fraction(16, 100), 2: Fraction(12, 100), 3: Fraction(8, 100), 4: Fraction(4, 100),
}
SEED = 20_261_205  # the table is fixed: a figure must not change from one version to the next


def _row(lowest: int, seed: int) -> tuple[int, ...]:
    """256 noises whose frequencies follow NOISE restricted to ≥ `lowest`, in a fixed shuffled order.

    The full row is symmetric (each ±e gets round(256 × p) slots, 0 the
    rest), so its mean is exactly 0. A truncated row (small counts, which are
    suppressed anyway) gives each noise round(256 × p / P(≥ lowest)) slots,
    0 taking what rounding leaves.
    """
    allowed = {e: p for e, p in NOISE.items() if e >= lowest}
    total = sum(allowed.values())
    slots = {e: round(p / total * KEY_SPACE) for e, p in allowed.items() if e != 0}
    slots[0] = KEY_SPACE - sum(slots.values())
    row = [e for e in sorted(slots) for _ in range(slots[e])]
    random.Random(seed).shuffle(row)
    return tuple(row)


# row n (1 ≤ n ≤ D): noises ≥ 1 − n, so a count never reaches 0; row D + 1: every count above D
TABLE: dict[int, tuple[int, ...]] = {n: _row(1 - n, SEED + n) for n in range(1, D + 2)}


def cell_key(*keys: int) -> int:
    """The key of a cell made of the union of disjoint cells (or of records): their keys summed, mod 256."""
    return sum(int(k) for k in keys) % KEY_SPACE


def noise(n: int, key: int) -> int:
    """The noise of a count n ≥ 1 whose contributors' keys sum to `key` (mod 256)."""
    return TABLE[min(int(n), D + 1)][int(key) % KEY_SPACE]


def perturb(n, key) -> int | None:
    """The perturbed count: n + noise(n, key); 0 stays 0; None when n is None.

    A count without a key (None) cannot be perturbed consistently: it is an
    error of the caller, not a figure to publish.
    """
    if n is None:
        return None
    n = int(n)
    if n == 0:
        return 0
    if key is None:
        raise ValueError("un effectif à perturber doit porter sa clé de cellule.")
    return n + noise(n, key)


def small(x, k: int) -> bool:
    """1 ≤ x ≤ k − 1: a count that says too much about too few people."""
    return x is not None and 1 <= x <= k - 1


@dataclass(frozen=True)
class Cellule:
    """A count as an outsider sees it: the perturbed value, or None when suppressed (`cache`)."""

    vrai: int
    publie: int | None
    cache: bool


def protect_count(n, key, k: int) -> Cellule:
    """Perturb n; suppress it when n or its perturbed value is small (1..k−1)."""
    n = int(n or 0)
    p = perturb(n, key)
    hidden = small(n, k) or small(p, k)
    return Cellule(n, None if hidden else p, hidden)


def expected_error(minimum: int = 100) -> Fraction:
    """The median of |noise| / n over counts ≥ `minimum` is at most the table's median |noise| / minimum."""
    ordered = sorted(abs(e) for e in TABLE[D + 1])
    return Fraction(ordered[len(ordered) // 2], minimum)


# --- the figures of one scope, as an outsider sees them -------------------------------------------------------
PUBLIC = frozenset({"budget_eur", "budget_cd_eur"})  # public money (the financements of the conventions), not people: exact


def _declared() -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """From the registry's declarations: the quotients and the figures scaled by a count.

    Quotients (a number or amount with a numerator and a denominator, no named
    calculation) are recomputed from the protected figures of their measures:
    code -> (numerator's code, denominator's code). Figures built on a measure
    that is not a count (the impact chain: days out of the RSA after the sorties)
    are scaled by the perturbation of the count of those they are built on
    (`measures.Mesure.effectif`): code -> that count's code.
    """
    from indicators import measures

    published = {d.mesure_numerateur: c for c, d in REGISTRY.items()
                 if (d.nature is Nature.COUNT or c in PUBLIC) and d.mesure_denominateur is None}
    quotients, scaled = {}, {}
    for c, d in REGISTRY.items():
        if d.nature not in (Nature.NUMBER, Nature.EUROS) or c in PUBLIC:
            continue
        bases = [measures.get(m).effectif for m in d.mesures if measures.get(m).effectif]
        if bases and bases[0] in published:
            scaled[c] = published[bases[0]]
        elif d.calcul is None and d.mesure_denominateur and {d.mesure_numerateur, d.mesure_denominateur} <= set(published):
            quotients[c] = (published[d.mesure_numerateur], published[d.mesure_denominateur])
    return quotients, scaled


QUOTIENTS, SCALED = _declared()


def needed(codes) -> list[str]:
    """`codes` and the figures their protection is built on (quotients' parts, the impact chain's base)."""
    codes = list(codes)
    extra = [p for c in codes for p in (*QUOTIENTS.get(c, ()), *((SCALED[c],) if c in SCALED else ()))]
    return list(dict.fromkeys([*codes, *extra]))


def protect(values: dict[str, Valeur], k: int) -> dict[str, Valeur]:
    """Every figure of one scope as an outsider sees it: perturbed, small counts suppressed, keys dropped.

    `values` holds every indicator the engine computed for the scope (derived
    figures are built on the protected counts, so those must be there).
    Counts: `protect_count`. Ratios: numerator and denominator perturbed
    alike, the ratio computed from them; suppressed when the numerator, the
    denominator or their difference is small, true or perturbed. Medians: the
    median itself, suppressed when its count is. Quotients: recomputed from the
    protected figures. Figures built on days or euros (the impact chain): scaled by
    the perturbation of the count they are built on (`SCALED`), suppressed with it.
    """

    out: dict = {}
    motif = f"effectif inférieur à {k}"
    derive = f"calculé sur un effectif inférieur à {k}"

    def exact(v):
        return replace(v, cle=None, cle_denominateur=None, traitement="exact")

    for code, v in values.items():
        if v.masque:
            out[code] = replace(v, cle=None, cle_denominateur=None, traitement="masque")
            continue
        nature = REGISTRY[code].nature
        if code in PUBLIC:
            out[code] = exact(v)
        elif nature is Nature.COUNT:
            c = protect_count(v.valeur, v.cle, k)
            if c.cache:
                out[code] = mask(v, motif)
            else:  # a true zero is published as it is: exact
                out[code] = exact(v) if c.publie == 0 else _perturbed(v, valeur=c.publie)
        elif nature is Nature.RATIO:
            out[code] = _ratio(v, k, motif)
        elif code in QUOTIENTS or code in SCALED:
            continue  # below, from the protected figures they are built on
        elif v.denominateur is not None:
            c = protect_count(v.denominateur, v.cle_denominateur, k)
            out[code] = mask(v, motif) if c.cache else _perturbed(v, denominateur=c.publie)
        else:  # a figure with no count to protect it by
            out[code] = mask(v, "aucun effectif connu pour le protéger")
    for code, (num, den) in QUOTIENTS.items():
        if code in values and not values[code].masque:
            parts = out.get(num), out.get(den)
            if any(p is None or p.masque for p in parts):
                out[code] = mask(values[code], derive)
            else:
                q = formules.quotient(code, parts[0].valeur, parts[1].valeur)
                if all(p.traitement == "exact" for p in parts) or not q.valeur:
                    out[code] = replace(exact(values[code]), valeur=q.valeur)  # nothing perturbed moved it
                else:
                    out[code] = _perturbed(values[code], valeur=q.valeur)
    for code, base in SCALED.items():
        if code in values and not values[code].masque:
            out[code] = _scaled(values[code], values.get(base), out.get(base), derive)
    return {code: out[code] for code in values}


def _perturbed(v: Valeur, **changes) -> Valeur:
    return replace(v, **changes, cle=None, cle_denominateur=None, traitement="perturbe")


def _ratio(v: Valeur, k: int, motif: str) -> Valeur:

    n, d = int(v.numerateur or 0), int(v.denominateur or 0)
    if small(n, k) or small(d - n, k) or small(d, k):
        return mask(v, motif)
    if d == 0:  # nobody to count: no value, nothing perturbed
        return replace(v, cle=None, cle_denominateur=None, traitement="exact")
    n2, d2 = perturb(n, v.cle), perturb(d, v.cle_denominateur)
    n2 = min(n2, d2)
    if small(n2, k) or small(d2 - n2, k) or small(d2, k):
        return mask(v, motif)
    r = formules.ratio(v.code, n2, d2)
    return _perturbed(v, valeur=r.valeur, numerateur=n2, denominateur=d2)


def _scaled(v: Valeur, base_true: Valeur | None, base_shown: Valeur | None, derive: str) -> Valeur:
    """An impact figure scaled by n′ / n of its base count; suppressed when the base is."""

    if base_true is None or base_shown is None or base_shown.masque:
        return mask(v, derive)
    n, shown = int(base_true.valeur or 0), int(base_shown.valeur or 0)
    if n == 0 or v.valeur is None:  # no sortie, nothing to scale: as it is
        return replace(v, cle=None, cle_denominateur=None, traitement="exact")
    factor = Fraction(shown, n)
    places = REGISTRY[v.code].decimales

    def scale(x):
        return None if x is None else formules.arrondi(Fraction(str(x)) * factor, places)

    details = {key: scale(x) if isinstance(x, (int, float)) else x for key, x in (v.details or {}).items()}
    return replace(_perturbed(v, valeur=scale(v.valeur)), details=details)
