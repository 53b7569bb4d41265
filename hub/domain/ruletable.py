"""The rule table: every technical rule of iWmo 3.2 / iJw 3.2 as data, parsed into entries.

Facts come from `/work/shared/docs/rules.md` (the project's restatement of the published rule texts,
code lists WJ001/Fo01 and the invulinstructies): ids, levels, messages and retourcodes are copied
from its §1–§3 tables; the summaries are our own words. What the hub does with each rule is
computed in hub.domain.rulebook.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from hub.domain.ruleentry import Entry, RuleLevel

HEEN_AND_325: Final[tuple[int, ...]] = (301, 305, 307, 315, 317, 319, 323, 325)

# The rules, by family in the order of rules.md §1–§3. Per rule: id, level (M in-message, X
# XSD-enforced, H history, E external), retourcode (- none), messages ("heen+325" = every
# heenbericht and the 325; "JW319" = iJw only), and on the next line the summary.
_TABLE: Final = """
[m-all] In-message: rules on several flows
CS002  M  0001  301 305 307 315 317 323 325
    Every Bsn passes the 11-proef.
CS025  X  -     heen+325
    BerichtVersie is 3.
CS015  X  -     heen+325
    BerichtSubversie is 2.
CS139  M  0001  301 305 307 315
    A Geboortedatum with DatumGebruik uses the placeholder day/month/year it announces.
TR002  M  0001  301 305 307 315
    A birth date (Client, and each Relatie in 301) is at most 120 years before Dagtekening.
TR101  M  0001  301 305 307 315 317 323 325
    No two instances of a class under one parent share their logical key.
TR134  M  0001  301 305 307 315 323 325
    Past dates (birth, Toewijzingsdatum, start, stop, period start) are not after Dagtekening.

[m-301] In-message: toewijzing 301, and the omvang/budget rules shared with 315 and 317
TR006  M  0001  301
    Every Contact has a Telefoon, or a Huis together with a Postcode.
TR061  M  0001  301
    The client has a Contact of Soort 01, 02 or 03.
TR302  M  0001  301
    The same product appears in several ToegewezenProducten only with non-overlapping periods.
CS050  M  0001  301
    NaamGebruik fits the Partnernaam: 1-4 with a partner name, 1 or 6 without.
CS318  M  0001  301
    The client's NaamGebruik is not 6 (niet-natuurlijk persoon).
CD007  M  0001  301
    Communicatie/Taal is filled exactly when Vorm is 1 (tolk).
CD005  M  0001  301
    An Adres has both Postcode and LandCode, or neither.
CD025  M  0001  301
    An Adres with LandCode NL has a Huisnummer.
CD034  M  0001  301
    A Contact of Soort 01 or 03 has an Adres with a Postcode.
CS089  M  0001  301
    A Dutch address's Postcode is 4 digits (not starting 0) and 2 letters.
CD009  M  0001  301
    A Contact has a Periode only when its Soort is 04 (tijdelijk).
CS003  M  0001  301 315 317
    An end date, when filled, is on or after its start date.
CD041  M  0001  301 315 317
    A line with a Product/Code has an Omvang.
CD075  M  0001  301 315 317
    A line with a Budget has an end date.
CD076  M  0001  301 315 317
    A line with Frequentie 2 (per week) has an end date.
CD077  M  0001  301 315 317
    A line with a Budget has no Omvang.
CD078  M  0001  301 315 317
    A line with an Omvang has no Budget.
CD079  M  0001  301 315 317
    A line without a Budget names a Product.
CD080  M  0001  301
    A ToegewezenProduct without Product/Code running past 2020 has no Omvang.
CD095  M  0001  315
    An AangevraagdProduct without Product/Code running past 2020 has no Omvang.
CD096  M  0001  317
    A NieuwProduct without Product/Code running past 2020 has no Omvang.
CS335  M  0001  301
    RedenWijziging 13 (verwijderd) only when Einddatum equals Ingangsdatum.
CS336  M  0001  301
    RedenWijziging 01 is no longer sent.
CS338  M  0001  301 317
    Eenheid 14/16/83/84 on a line running past 2020 goes with Frequentie 2, 4 or 6.
CS343  M  0001  315
    As CS338, on an AangevraagdProduct with its ToewijzingEinddatum.

[m-305] In-message: start 305 and stop 307
CS058  M  0001  305 307
    StatusAanlevering is 1 (eerste aanlevering) or 3 (verwijderen).
TR018  M  0001  307
    A stop's Einddatum is on or after its Begindatum.

[m-315] In-message: verzoek om toewijzing 315
TR383  M  0001  315
    Each AangevraagdProduct has its own ReferentieAanbieder.
TR386  M  0001  315
    The same product appears in several AangevraagdProducten only with non-overlapping periods.
CD043  M  0001  315
    BeschikkingNummer and BeschikkingIngangsdatum come together.
CD066  M  0001  315
    A Verwijzer of Type 02-05 with a ZorgverlenerCode has no Naam.
CD067  M  0001  315
    A Verwijzer of Type 02-05 without a ZorgverlenerCode has a Naam.
CD068  M  0001  315
    A Verwijzer of another Type has no ZorgverlenerCode.

[m-317] In-message: verzoek om wijziging 317
TR352  M  0001  317
    The Verzoek names at least one Ongewijzigd or TeWijzigen product.
TR353  M  0001  317
    The Verzoek holds at least one TeWijzigen or Nieuw product.
TR380  M  0001  317
    The Einddatum of a TeWijzigenProduct or NieuwProduct lies after Dagtekening.
TR410  M  0001  317
    The same product appears in several NieuwProducten only with non-overlapping periods.

[m-319] In-message: antwoordbericht 319
CD085  M  0001  319
    VerzoekAntwoord 1 (afgewezen) has a RedenAfwijzingVerzoek.
CD086  M  0001  319
    VerzoekAntwoord 2 (in onderzoek) has no RedenAfwijzingVerzoek.
TR377  M  0001  JW319
    RedenAfwijzingVerzoek 8 (woonplaatsbeginsel) comes with a Woonplaatsbeginsel class.
TR409  M  0001  JW319
    Another RedenAfwijzingVerzoek comes without a Woonplaatsbeginsel class.

[m-323] In-message: declaratie 323 and declaratie-antwoord 325
TR137  M  0001  323 325
    A period's Einddatum is on or after its Begindatum and not later than Dagtekening.
TR315  M  0001  323
    No two Prestaties share a VorigReferentieNummer.
TR316  M  0001  323
    No VorigReferentieNummer equals a ReferentieNummer of the same message.
TR335  M  0001  323
    A Prestatie's period ends at most 5 years before the DeclaratieDagtekening.
TR342  M  0001  325
    The returned (rejected) Prestaties add up to ingediend minus toegekend.
TR358  M  0001  323
    TotaalIngediendBedrag equals the signed sum of every Prestatie's IngediendBedrag.
TR416  M  0001  323
    At most one debet Prestatie per toewijzing, product and period in one message.
CS100  M  0001  323
    Declaratie and product periods start on or after 2021-01-01.
CS319  X  -     323
    DeclaratieNummer holds letters and digits only.
CS325  M  0001  323 325
    An amount of 0 carries DebetCredit D.
CS337  M  0001  323
    A ProductPeriode begins and ends in the same calendar month.
CS339  M  0001  323
    With Eenheid 83 (euro) the IngediendBedrag equals the GeleverdVolume.
CS340  M  0001  323
    The DeclaratiePeriode is exactly one calendar month.
CD060  M  0001  323 325
    VorigReferentieNummer is filled exactly when the IngediendBedrag is credit (C).
CD087  M  0001  323
    ProductTarief is filled exactly when Eenheid is not 83 (euro).

[h-all] History: rules on several flows
TR056  H  9056  heen+325
    Identificatie is new for this sender and berichtsoort.
TR304  H  8187  317 323 325
    A named toewijzing (317) or Prestatie (323, 325) belongs to the client it is listed under.

[h-301] History: toewijzing 301
TR332  H  9332  301
    A ToewijzingNummer is not one the gemeente already used for another client.
TR379  H  9379  301
    A filled ReferentieAanbieder answers an earlier, not yet honoured 315 or 317.
TR385  H  9385  301
    A toewijzing with approved, uncredited Prestaties is not deleted.

[h-305] History: start 305 and stop 307
TR019  H  9019  305 307
    The ToewijzingNummer names a toewijzing the gemeente sent this aanbieder for the client.
TR063  H  9063  305 307
    A delete (status 3) follows an earlier delivery of the key.
TR071  H  9071  305
    A start with a (non-deleted) stop is not deleted.
TR074  H  9074  305 307
    A first delivery carries a key not already in force.
TR326  H  9326  305
    A new start only when no start for the same toewijzing and product is actual and unstopped.
TR382  H  9069  307
    A stop copies the key of an actual start (WJ001: TR069).
TR413  H  9413  307
    No second temporary stop (reason 20) without a new start.
TR414  H  9414  307
    A later stop does not end before an earlier stop's Einddatum.
TR415  H  9415  307
    Nothing follows a definitive stop.

[h-315] History: requests and answers 315, 317, 319
TR347  H  9347  315 317
    A ReferentieAanbieder is new for this aanbieder in the domain.
TR374  H  9374  315 317
    No new request for a client while an earlier one of this aanbieder is open.
TR349  H  9349  317
    Every actual toewijzing of the client appears once as Ongewijzigd or TeWijzigen product.
TR350  H  9350  317
    Every OngewijzigdProduct names an actual toewijzing.
TR351  H  9351  317
    Every TeWijzigenProduct names an actual toewijzing.
TR357  H  9357  317
    A change starting on or before Dagtekening starts on the toewijzing's Ingangsdatum.
TR361  H  9361  317
    The request's products, new and named, do not overlap (same product, same period).
TR373  H  9373  317
    A Budget change (or total-volume change) starts on the toewijzing's Ingangsdatum.
TR375  H  9375  317
    A change of a toewijzing without Product running past 2020 has no Omvang.
TR411  H  9411  317
    A change of a toewijzing with a Product/Code has an Omvang.
TR412  H  9412  317
    A change of a toewijzing without Product/Code running past 2020 has no Omvang.
TR355  H  9355  319
    The answered ReferentieAanbieder came in an earlier 315 or 317 of this aanbieder.
TR359  H  9359  319
    No 319 for a request a 301 already honoured.
TR360  H  9360  319
    'In onderzoek' (VerzoekAntwoord 2) at most once per request.
TR365  H  9365  319
    A second 319 for a request follows only an 'in onderzoek'.

[h-323] History: declaratie 323 and declaratie-antwoord 325
TR338  H  9338  323
    A Prestatie's ToewijzingNummer is a toewijzing this gemeente sent this aanbieder.
TR307  H  9307  323
    The ProductPeriode starts on or after the toewijzing.
TR308  H  9308  323
    The ProductPeriode ends on or before the toewijzing's end.
TR339  H  9339  323
    ProductCategorie equals the toewijzing's category.
TR340  H  9340  323
    ProductCode equals the toewijzing's code, when it has one.
TR341  H  9341  323
    Eenheid equals the toewijzing's (minutes allowed for an hourly toewijzing).
TR321  H  9321  323
    A Prestatie's GeleverdVolume fits what the Omvang allows in its period.
TR322  H  9322  323
    All uncredited Prestaties on a toewijzing stay within its volume over the whole term.
TR369  H  9369  323
    Uncredited Prestaties stay within the Budget (taken as whole euros: the facts give no unit).
TR384  H  9384  323
    No Prestatie on a deleted toewijzing (RedenWijziging 13).
TR387  H  9387  323
    The ProductPeriode starts on day 1, or on the toewijzing's later start in that month.
TR388  H  9388  323
    The ProductPeriode ends on the month's last day, or on the toewijzing's earlier end.
TR314  H  8021  323
    A ReferentieNummer is new for the aanbieder over all its 323s.
TR333  H  9333  323
    A DeclaratieNummer is new for the aanbieder.
TR318  H  8214  323
    The DeclaratiePeriode is later than the last accepted declaration's.
TR319  H  9319  323
    No ProductPeriode lies after the DeclaratiePeriode.
TR323  H  8017  323
    A credit names an earlier, accepted debet of this aanbieder.
TR389  H  9389  323
    A new debet for a toewijzing, product and period only after earlier ones were credited.
TR390  H  9390  323
    A debet is credited at most once.
TR418  H  0611  323
    ProductTarief equals the contract tariff for the ProductCode.
TR337  H  -     325
    The 325's DeclaratieIdentificatie names a received 323.
TR371  H  -     325
    The 325's XsdVersieDeclaratie equals that 323's XsdVersie (no retourcode).
TR376  H  -     325
    The 325's DeclaratieNummer equals that 323's (no retourcode).
TR366  H  9366  325
    Every returned Prestatie occurs in that 323.
TR367  H  9367  325
    A returned Prestatie's values equal the 323's; only RetourCodes are added.

[e] External sources
TR135  E  8848  heen+325
    Dagtekening is a real date not later than the receiver's system date.
TR378  E  S300  heen+325
    Every gemeentecode is in the CBS gemeentelijke indeling valid on the reference date.
TR381  E  S329  301 305 307 315 317 323
    ProductCode belongs to ProductCategorie in the agreed productcodelijst.
TR346  E  9346  323
    IngediendBedrag equals GeleverdVolume times ProductTarief (minutes priced per IV081).
"""


_LEVELS: Final = dict(zip("MXHE", RuleLevel, strict=True))


def _parse(table: str) -> tuple[dict[str, str], tuple[Entry, ...]]:
    families: dict[str, str] = {}
    entries: list[Entry] = []
    family = ""
    lines = iter(line for line in table.splitlines() if line.strip())
    for line in lines:
        if line.startswith("["):
            family, _, title = line[1:].partition("] ")
            families[family] = title
            continue
        rule_id, level, code, *numbers = line.split()
        ijw_only = numbers[0].startswith("JW")
        if numbers == ["heen+325"]:
            messages = HEEN_AND_325
        else:
            messages = tuple(int(n.removeprefix("JW")) for n in numbers)
        summary = next(lines).strip()
        retourcode = None if code == "-" else code
        entries.append(
            Entry(rule_id, family, _LEVELS[level], messages, retourcode, summary, ijw_only)
        )
    ids = [e.id for e in entries]
    if len(ids) != len(set(ids)) or not families:
        raise RuntimeError("the rulebook table names a rule twice, or has no family")
    return families, tuple(entries)


_families, ENTRIES = _parse(_TABLE)
FAMILIES: Final[Mapping[str, str]] = MappingProxyType(_families)
BY_ID: Final[Mapping[str, Entry]] = MappingProxyType({e.id: e for e in ENTRIES})
