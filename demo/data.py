"""The demo: the claims of a November 2023 news round-up on talk of peace negotiations over
the war in Ukraine, written here as data in our own words (the article itself stays
outside the repository), with real public sources as evidence.

`seed_demo()` creates the demo users, topics and claimants, then moves every claim
through the workflow by calling the services in claims.services, with the demo users as
actors: the history, the four-eyes rule and the version numbers are the real thing. It
is idempotent: a claim is looked up by its claimant and `claim_reviewed` and skipped when
it exists, and each claim is seeded in one transaction, so an interrupted run leaves no
half-walked claim behind.

`claim_create` enqueues a triage task when its transaction commits. Without a broker the
enqueue fails with a logged warning and the claim stays as it is; with a worker running,
the one claim left `received` on purpose is triaged to `queued` shortly after, as any new
claim would be.
"""

import datetime
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.db.models import Q

from claims import services
from claims.models import (
    Claim,
    Claimant,
    ClaimantAlias,
    ClaimantKind,
    ClaimOrigin,
    ClaimStatus,
    EvidenceKind,
    EvidenceStance,
    Rating,
    Topic,
)
from claims.roles import Role
from reviewers.models import ReviewerProfile

S = ClaimStatus
K = EvidenceKind
ST = EvidenceStance

DEMO_PASSWORD = "factcheck-demo"
# (username, role, password): `make run` prints these as the demo logins.
DEMO_USERS: list[tuple[str, str, str]] = [
    ("olena", Role.REVIEWER.value, DEMO_PASSWORD),
    ("dmytro", Role.REVIEWER.value, DEMO_PASSWORD),
    ("iryna", Role.EDITOR.value, DEMO_PASSWORD),
    ("admin", Role.ADMIN.value, DEMO_PASSWORD),
]
EDITOR = "iryna"
REVIEWER_LANGUAGES = ["en", "uk", "ru"]

TOPICS: list[tuple[str, str]] = [
    ("war-in-ukraine", "War in Ukraine"),
    ("military-aid", "Military aid"),
    ("public-opinion", "Public opinion"),
    ("peace-talks", "Peace talks"),
    ("casualties", "Casualties"),
    ("weapons-production", "Weapons production"),
    ("occupied-territories", "Occupied territories"),
]

# Expertise of the demo reviewers and the editor (ReviewerProfile.topics).
PROFILE_TOPICS: dict[str, list[str]] = {
    "olena": ["war-in-ukraine", "casualties", "public-opinion", "peace-talks"],
    "dmytro": ["war-in-ukraine", "military-aid", "weapons-production", "occupied-territories"],
    "iryna": [slug for slug, _ in TOPICS],
}


@dataclass(frozen=True)
class ClaimantData:
    slug: str
    name: str
    description: str
    # Only ids we are sure of; a wrong `sameAs` is worse than none.
    wikidata_id: str = ""
    aliases: tuple[str, ...] = ()
    # ClaimReview names a newsroom or a ministry as an Organization, not a Person.
    kind: str = ClaimantKind.PERSON


CLAIMANTS: list[ClaimantData] = [
    ClaimantData(
        "sergei-shoigu",
        "Sergei Shoigu",
        "Russian Defence Minister (2012-2024)",
        aliases=("Sergey Shoygu", "Sergey Shoigu", "Sergei Shoygu", "Сергей Шойгу"),
    ),
    ClaimantData(
        "alexander-lukashenko",
        "Alexander Lukashenko",
        "President of Belarus",
        aliases=(
            "Aliaksandr Lukashenka",
            "Alyaksandr Lukashenka",
            "Alexander Lukashenka",
            "Александр Лукашенко",
            "Аляксандр Лукашэнка",
        ),
    ),
    ClaimantData(
        "volodymyr-zelenskyy",
        "Volodymyr Zelenskyy",
        "President of Ukraine",
        "Q3874799",
        aliases=("Volodymyr Zelensky", "Vladimir Zelensky", "Володимир Зеленський"),
    ),
    ClaimantData(
        "oleksiy-arestovych",
        "Oleksiy Arestovych",
        "Former adviser to the head of the Office of the President of Ukraine",
        aliases=(
            "Aleksey Arestovich",
            "Alexey Arestovich",
            "Oleksii Arestovych",
            "Олексій Арестович",
            "Алексей Арестович",
        ),
    ),
    ClaimantData(
        "valerii-zaluzhnyi",
        "Valerii Zaluzhnyi",
        "Commander-in-Chief of the Armed Forces of Ukraine (2021-2024)",
        aliases=("Valery Zaluzhny", "Valeriy Zaluzhnyi", "Валерій Залужний"),
    ),
    ClaimantData(
        "jake-sullivan",
        "Jake Sullivan",
        "US National Security Adviser (2021-2025)",
    ),
    ClaimantData(
        "vladimir-putin",
        "Vladimir Putin",
        "President of Russia",
        "Q7747",
        aliases=("Владимир Путин",),
    ),
    ClaimantData(
        "nbc-news",
        "NBC News",
        "US broadcaster; its report of 4 November 2023 on talk of peace negotiations",
        kind=ClaimantKind.ORGANIZATION,
    ),
    ClaimantData(
        "unnamed-us-official",
        "Unnamed U.S. official",
        "US official quoted anonymously by NBC News in November 2023",
    ),
    ClaimantData(
        "unnamed-western-official",
        "Unnamed Western official",
        "Western official who briefed reporters anonymously on Russian artillery in 2023",
    ),
]


@dataclass(frozen=True)
class Source:
    """An appearance of the claim or a piece of evidence."""

    url: str
    outlet: str
    date: datetime.date | None = None
    title: str = ""
    kind: str = K.MEDIA_REPORT
    stance: str = ST.CONTEXT
    quote: str = ""


@dataclass(frozen=True)
class VerdictData:
    rating: str
    summary: str
    explanation: str


@dataclass(frozen=True)
class DemoClaim:
    claimant: str
    claim_reviewed: str
    text: str
    status: ClaimStatus
    claim_date: datetime.date | None = None
    topics: tuple[str, ...] = ()
    appearances: tuple[Source, ...] = ()
    origin: str = ClaimOrigin.IMPORT
    # The reviewer who takes the claim (olena) or whom the editor assigns it to (dmytro).
    reviewer: str = "olena"
    evidence: tuple[Source, ...] = ()
    # The verdict proposed (or, for a claim left in review, saved as a draft).
    verdict: VerdictData | None = None
    # An earlier proposal the editor sent back, with the editor's note.
    sent_back: tuple[VerdictData, str] | None = None
    # A correction after publication: the public note and the corrected verdict.
    correction: tuple[str, VerdictData] | None = None
    # The public reason of a rejection or withdrawal.
    status_note: str = ""
    # (claimant, claim_reviewed) of the claim this one duplicates.
    duplicate_of: tuple[str, str] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.claimant, self.claim_reviewed)


def _d(iso: str) -> datetime.date:
    return datetime.date.fromisoformat(iso)


NBC_REPORT = Source(
    "https://www.nbcnews.com/news/world/us-european-officials-broach-topic-peace-negotiations-ukraine-sources-rcna123628",
    "NBC News",
    _d("2023-11-04"),
    title="U.S., European officials broach topic of peace negotiations with Ukraine, sources say",
)
AP_MCCORD_LETTER = Source(
    "https://secure.military.com/daily-news/2023/10/02/pentagon-warns-congress-it-running-low-money-replace-weapons-sent-ukraine.html",
    "Military.com (Associated Press)",
    _d("2023-10-02"),
    title="Pentagon Warns Congress It Is Running Low on Money to Replace Weapons Sent to Ukraine",
)
DEFENSE_POST_SHELLS = Source(
    "https://www.thedefensepost.com/2023/09/12/russia-short-artillery-shells/",
    "The Defense Post",
    _d("2023-09-12"),
    title="Russia Still 'Far Short' of Artillery Shells Despite Production Boost: West",
)
ECONOMIST_ZALUZHNYI = Source(
    "https://www.economist.com/europe/2023/11/01/ukraines-commander-in-chief-on-the-breakthrough-he-needs-to-beat-russia",
    "The Economist",
    _d("2023-11-01"),
    title="Ukraine's commander-in-chief on the breakthrough he needs to beat Russia",
)
UP_ZELENSKYY_PRESSER = Source(
    "https://www.pravda.com.ua/eng/news/2023/11/4/7427204/",
    "Ukrainska Pravda",
    _d("2023-11-04"),
    title="Zelenskyy: No one in EU and US puts pressure on Ukraine regarding negotiations "
    "with Russia",
)

CLAIMS: list[DemoClaim] = [
    DemoClaim(
        claimant="sergei-shoigu",
        claim_reviewed="Ukraine lost over 90,000 troops killed or wounded in its counteroffensive",
        text='Since its counteroffensive began on 4 June, Ukraine has lost "more than 90,000 '
        'servicemen killed and wounded", about 600 tanks and almost 1,900 armoured vehicles.',
        status=S.PUBLISHED,
        claim_date=_d("2023-10-30"),
        topics=("war-in-ukraine", "casualties"),
        appearances=(
            Source(
                "https://sputnikglobe.com/20231030/ukraine-lost-more-than-90000-servicemen-since-beginning-of-counteroffensive---shoigu-1114588707.html",
                "Sputnik",
                _d("2023-10-30"),
                quote="Kiev has lost more than 90,000 servicemen killed and wounded",
            ),
        ),
        evidence=(
            Source(
                "https://sputnikglobe.com/20231030/ukraine-lost-more-than-90000-servicemen-since-beginning-of-counteroffensive---shoigu-1114588707.html",
                "Sputnik",
                title="Ukraine Lost More Than 90,000 Servicemen Since Beginning of "
                "Counteroffensive - Shoigu",
            ),
            Source(
                "https://tass.com/politics/1670121",
                "TASS",
                title="Report of Shoigu's conference call of 5 September 2023 (Ukrainian "
                "losses put at more than 66,000)",
            ),
            Source(
                "https://www.thestar.com.my/news/world/2023/08/19/troop-deaths-and-injures-in-ukraine-war-nearing-500000--nyt-citing-us-officials",
                "The Star (Reuters)",
                title="Troop deaths, injuries in Ukraine war nearing 500,000 - NYT citing US "
                "officials",
            ),
        ),
        verdict=VerdictData(
            "unverifiable",
            "The figure comes from Russia's defence minister and cannot be checked: Ukraine "
            "does not publish its losses and there is no independent count of casualties in "
            "the counteroffensive.",
            "We traced the number to Shoigu's speech at the Xiangshan Forum in Beijing on 30 "
            "October 2023, as reported by Russian state media. The ministry publishes no "
            "method, and its totals have risen in large steps: more than 66,000 in early "
            "September, more than 90,000 by the end of October. Kyiv does not disclose its "
            "casualties. The only comparable Western figures, US officials' estimates reported "
            "by The New York Times in August 2023 (close to 70,000 Ukrainian troops killed and "
            "100,000 to 120,000 wounded), cover the whole war rather than the counteroffensive "
            "and are themselves estimates. With nothing independent to test it against, the "
            "claim can be neither confirmed nor refuted.",
        ),
    ),
    DemoClaim(
        claimant="sergei-shoigu",
        claim_reviewed="Shoigu: Kyiv has lost more than 90,000 servicemen since 4 June",
        text="Russia's defence minister says Ukraine's troop casualties since the start of its "
        "counteroffensive exceed 90,000.",
        status=S.DUPLICATE,
        claim_date=_d("2023-10-30"),
        topics=("casualties",),
        origin=ClaimOrigin.API,
        appearances=(
            Source(
                "https://www.rt.com/russia/586144-shoigu-china-security-forum/",
                "RT",
                _d("2023-10-30"),
            ),
        ),
        duplicate_of=(
            "sergei-shoigu",
            "Ukraine lost over 90,000 troops killed or wounded in its counteroffensive",
        ),
    ),
    DemoClaim(
        claimant="unnamed-western-official",
        claim_reviewed="Russia fired about 10 million artillery rounds in Ukraine in 2022",
        text='Russia "went through 10 million rounds last year" in Ukraine and can only '
        "produce a fraction of that each year.",
        status=S.PUBLISHED,
        claim_date=_d("2023-09-12"),
        topics=("war-in-ukraine", "weapons-production"),
        appearances=(DEFENSE_POST_SHELLS, NBC_REPORT),
        reviewer="dmytro",
        evidence=(
            DEFENSE_POST_SHELLS,
            Source(
                "https://babel.ua/en/news/90720-reznikov-all-factories-in-europe-are-capable-of-producing-600-000-152-mm-projectiles-every-year-russia-spends-that-much-every-month",
                "Babel",
                title="Reznikov: all factories in Europe are capable of producing "
                "600,000 152 mm projectiles every year, Russia spends that much every month",
            ),
            Source(
                "https://www.pravda.com.ua/eng/news/2024/03/11/7445934/",
                "Ukrainska Pravda",
                title="Russia produces almost three times more artillery shells than US and "
                "Europe provide Ukraine with",
            ),
        ),
        verdict=VerdictData(
            "unverifiable",
            "The number is an anonymous intelligence estimate that no published data can "
            "confirm, although it is consistent with what Ukrainian officials said about "
            "Russia's rate of fire.",
            "The estimate was given by a Western official who briefed reporters in September "
            "2023 on condition of anonymity (Reuters reported a range of 10 to 11 million) and "
            "was repeated by NBC News in November. No government has published a count of "
            "Russian artillery fire. As a plausibility check we compared it with public "
            "statements: in February 2023 Ukraine's defence minister Oleksii Reznikov said "
            "Russia had fired up to 60,000 shells a day at the peak and about 20,000 a day "
            "more recently. Ten million rounds a year is an average of some 27,000 a day, "
            "inside that range. Plausible is not verified, so we rate it unverifiable.",
        ),
    ),
    DemoClaim(
        claimant="unnamed-western-official",
        claim_reviewed="Russia may be able to produce 2 million artillery shells a year",
        text="Over the next couple of years Russia may be able to produce about 2 million "
        "artillery shells a year, far short of what it fires.",
        status=S.IN_REVIEW,
        claim_date=_d("2023-09-12"),
        topics=("weapons-production",),
        appearances=(DEFENSE_POST_SHELLS, NBC_REPORT),
        reviewer="dmytro",
        evidence=(
            DEFENSE_POST_SHELLS,
            Source(
                "https://www.thestar.com.my/news/world/2024/03/21/russia-says-its-production-of-artillery-shells-has-soared-by-nearly-150-in-a-year",
                "The Star (Reuters)",
                title="Russia says its production of artillery shells has soared by nearly 150% "
                "in a year",
            ),
            Source(
                "https://www.yahoo.com/news/cnn-russia-producing-3-times-123642447.html",
                "The Kyiv Independent (via Yahoo News)",
                title="CNN: Russia producing 3 times more shells than US, Europe can provide to "
                "Ukraine",
                stance=ST.SUPPORTS,
            ),
        ),
        sent_back=(
            VerdictData(
                "unverifiable",
                "A forecast of future production that cannot be checked.",
                "The estimate comes from an anonymous Western official; Russia does not publish "
                "production figures.",
            ),
            "A forecast from 2023 can be checked against what happened since: compare it with "
            "the later Western and Russian figures and rate the claim as it was made.",
        ),
        verdict=VerdictData(
            "mostly-true",
            "Later Western estimates put Russian output at or above that level by 2024, though "
            "they include refurbished Soviet-era shells and cannot be independently verified.",
            "The forecast was made by a Western official in September 2023. In March 2024 CNN, "
            "citing NATO intelligence estimates, reported Russian production of about 250,000 "
            "shells a month, some 3 million a year, and Russia's defence minister claimed output "
            "had risen nearly 2.5 times in a year. Estonian intelligence has said part of the "
            "output is refurbished old stock. The forecast looks, if anything, conservative. "
            "Draft: to be completed before proposing.",
        ),
    ),
    DemoClaim(
        claimant="nbc-news",
        claim_reviewed="The US has spent $43.9 billion on security aid to Ukraine since Feb 2022",
        text='The Biden administration "has spent $43.9 billion on security assistance for '
        "Ukraine\" since Russia's invasion in February 2022, according to the Pentagon.",
        status=S.PUBLISHED,
        claim_date=_d("2023-11-04"),
        topics=("military-aid",),
        appearances=(NBC_REPORT,),
        evidence=(
            Source(
                "https://www.defense.gov/Spotlights/Support-for-Ukraine/",
                "U.S. Department of Defense",
                title="Support for Ukraine",
                kind=K.OFFICIAL_DATA,
                stance=ST.SUPPORTS,
            ),
            Source(
                "https://dailycaller.com/2023/10/03/pentagon-billions-left-over-ukraine-replenish-us-stocks/",
                "Daily Caller News Foundation",
                title="Pentagon Has Billions Left Over For Ukraine But Not To Replenish US Stocks",
                stance=ST.SUPPORTS,
            ),
            Source(
                "https://crsreports.congress.gov/product/pdf/IF/IF12040",
                "Congressional Research Service",
                title="U.S. Security Assistance to Ukraine",
                kind=K.RESEARCH,
            ),
        ),
        verdict=VerdictData(
            "mostly-true",
            "The figure matches the Pentagon's running total, but it counts aid committed, not "
            "money spent: much of it pays for weapons still to be built or delivered.",
            "We compared the figure with the Defense Department's running total of security "
            "assistance, which it updates with every new package, and with the Congressional "
            "Research Service's overview of the programmes. Reports of Pentagon figures in "
            "early October 2023 gave $43.9 billion committed since February 2022; later "
            "packages took the total a little above $44 billion. The total adds up weapons "
            "drawn from US stocks under presidential drawdown authority and contracts under the "
            "Ukraine Security Assistance Initiative for equipment that can take years to "
            "produce. The number is right; calling it money spent overstates what had been "
            "paid for and delivered.",
        ),
    ),
    DemoClaim(
        claimant="unnamed-us-official",
        claim_reviewed="The US had about $5 billion left for Ukraine aid in November 2023",
        text='The administration has "about $5 billion left" to send to Ukraine before the '
        "money runs out.",
        status=S.PUBLISHED,
        claim_date=_d("2023-11-04"),
        topics=("military-aid",),
        appearances=(NBC_REPORT,),
        reviewer="dmytro",
        evidence=(
            Source(
                AP_MCCORD_LETTER.url,
                AP_MCCORD_LETTER.outlet,
                title=AP_MCCORD_LETTER.title,
                stance=ST.SUPPORTS,
                quote="the U.S. has about $5.4 billion left to provide weapons and equipment "
                "from its stockpiles",
            ),
            Source(
                "https://www.stripes.com/theaters/us/2023-10-02/pentagon-congress-ukraine-war-funding-11569941.html",
                "Stars and Stripes",
                title="Report on the Pentagon comptroller's letter to Congress, October 2023",
            ),
            Source(
                "https://newsukraine.rbc.ua/news/pentagon-reveals-amount-of-funds-left-in-1701870935.html",
                "RBC-Ukraine",
                title="Pentagon reveals amount of funds left in U.S. for aid to Ukraine",
                stance=ST.SUPPORTS,
            ),
        ),
        verdict=VerdictData(
            "mostly-true",
            "Pentagon figures show roughly $5 billion of drawdown authority left, but far less "
            "money to replace what was drawn from US stocks, which limited how fast it could be "
            "used.",
            "We compared the statement with the Pentagon comptroller's letter to Congress at "
            "the start of October 2023, as reported by the Associated Press and Stars and "
            "Stripes, and with the figures the Pentagon spokesman gave in early December. In "
            "October about $5.4 billion of presidential drawdown authority remained, $1.6 "
            "billion was left of the $25.9 billion for replenishing US stocks, and the Ukraine "
            "Security Assistance Initiative was exhausted. In December the spokesman gave $4.8 "
            "billion of drawdown authority and $1.1 billion for replenishment. 'About $5 "
            "billion' fairly describes the authority left in November; the claim leaves out "
            "that the replenishment money was the tighter limit.",
        ),
    ),
    DemoClaim(
        claimant="nbc-news",
        claim_reviewed="Without a $6.2 billion accounting error, US aid for Ukraine would be gone",
        text="There would be no aid left for Ukraine had the administration not found a $6.2 "
        "billion accounting error from months of over-valuing equipment sent to Kyiv.",
        status=S.PUBLISHED,
        claim_date=_d("2023-11-04"),
        topics=("military-aid",),
        appearances=(NBC_REPORT,),
        reviewer="dmytro",
        evidence=(
            Source(
                "https://www.defense.gov/News/Transcripts/Transcript/Article/3433535/deputy-pentagon-press-secretary-sabrina-singh-holds-a-press-briefing/",
                "U.S. Department of Defense",
                title="Deputy Pentagon Press Secretary Sabrina Singh Holds a Press Briefing "
                "(20 June 2023)",
                kind=K.PRIMARY_SOURCE,
                stance=ST.SUPPORTS,
                quote="In a significant number of cases, services used replacement costs "
                "rather than net book value",
            ),
            Source(
                AP_MCCORD_LETTER.url,
                AP_MCCORD_LETTER.outlet,
                title=AP_MCCORD_LETTER.title,
                stance=ST.SUPPORTS,
            ),
            Source(
                "https://executivegov.com/2023/06/dod-could-send-additional-military-aid-to-ukraine-based-on-6-2b-valuation-error/",
                "ExecutiveGov",
                title="DOD Could Send Additional Military Aid to Ukraine Based on $6.2B "
                "Valuation Error",
            ),
        ),
        verdict=VerdictData(
            "mostly-true",
            "The Pentagon did find $6.2 billion of over-valued equipment, and without it the "
            "drawdown authority would have run out; but it restored authority to send stock, "
            "not cash, and other Ukraine funds were limited for other reasons.",
            "On 20 June 2023 the Pentagon said the armed services had valued equipment sent "
            "from US stocks at replacement cost instead of net book value, overstating it by "
            "$3.6 billion in fiscal 2023 and $2.6 billion in fiscal 2022, $6.2 billion in all, "
            "and that the corrected amount could be used for further drawdowns. The "
            "comptroller's October letter, as reported by the AP, left about $5.4 billion of "
            "drawdown authority, and the AP noted it would already have run out without the "
            "revaluation. The claim holds for drawdown authority; it does not apply to the "
            "funds for replenishing US stocks or buying new weapons, which ran low or out "
            "independently of the error.",
        ),
    ),
    DemoClaim(
        claimant="nbc-news",
        claim_reviewed="41% of Americans say the US is doing too much for Ukraine, up from 24%",
        text="A Gallup poll released this week shows 41% of Americans saying the U.S. is doing "
        "too much to help Kyiv, against 24% three months earlier.",
        status=S.PUBLISHED,
        claim_date=_d("2023-11-04"),
        topics=("public-opinion", "military-aid"),
        appearances=(NBC_REPORT,),
        evidence=(
            Source(
                "https://thehill.com/policy/international/4289366-americans-support-ukraine-waning-gallup-survey/",
                "The Hill",
                title="More Americans now say US giving 'too much' support to Ukraine: Gallup",
                stance=ST.SUPPORTS,
            ),
            Source(
                "https://ny1.com/nyc/all-boroughs/international/2023/11/02/poll-shows-americans--support-for-ukraine-in-war-is-eroding",
                "Spectrum News NY1",
                title="Poll shows Americans' support for Ukraine in war is eroding",
                stance=ST.SUPPORTS,
            ),
            Source(
                "https://www.newsnationnow.com/world/russia-at-war/americans-support-for-ukraine-poll/",
                "NewsNation",
                title="Report on Gallup's survey of October 2023",
            ),
        ),
        verdict=VerdictData(
            "true",
            "Gallup's survey of 4-16 October 2023 found 41% of Americans saying the US was "
            "doing too much to help Ukraine.",
            "We checked the figure against reports of Gallup's release of 2 November 2023 "
            "(2,007 adults interviewed 4-16 October, margin of error 2 points): 41% said the US "
            "was doing too much, 33% the right amount and 25% not enough.",
        ),
        correction=(
            "Corrected: the first version rated this claim True without checking the "
            "comparison. In Gallup's previous survey, in June 2023, 29% said the US was doing "
            "too much, not 24%, so the rise was 12 points rather than 17. Rating changed to "
            "Mostly true.",
            VerdictData(
                "mostly-true",
                "The 41% figure is right, but the comparison is not: in Gallup's previous "
                "survey, in June 2023, 29% said the US was doing too much, not 24%.",
                "We checked both figures against reports of Gallup's release of 2 November "
                "2023 (2,007 adults interviewed 4-16 October, margin of error 2 points): 41% "
                "said the US was doing too much, 33% the right amount and 25% not enough. The "
                "same reports give Gallup's June 2023 reading as 29% too much and 43% the right "
                "amount. The shift the claim describes is real, but it is 12 points, not 17.",
            ),
        ),
    ),
    DemoClaim(
        claimant="oleksiy-arestovych",
        claim_reviewed="Retaking Crimea by force would cost about 200,000 Ukrainian lives",
        text="Retaking Crimea by military means would cost the lives of some 200,000 Ukrainian "
        "men.",
        status=S.QUEUED,
        topics=("war-in-ukraine", "casualties"),
        appearances=(
            Source(
                "https://international.sindonews.com/newsread/1152933/41/eks-ajudan-zelensky-menginvasi-crimea-akan-membunuh-200000-tentara-ukraina-1689462442",
                "SINDOnews",
                _d("2023-07-16"),
            ),
        ),
    ),
    DemoClaim(
        claimant="alexander-lukashenko",
        claim_reviewed="Zelensky is preparing to flee Ukraine",
        text='Western politicians steal, pocket the gains and run away somewhere, "just like '
        'Zelensky is getting ready to run off."',
        status=S.PUBLISHED,
        claim_date=_d("2023-11-03"),
        topics=("war-in-ukraine",),
        appearances=(
            Source(
                "https://news.yahoo.com/lukashenko-claims-ukraine-ours-says-143036538.html",
                "Ukrainska Pravda (via Yahoo News)",
                _d("2023-11-03"),
            ),
            Source(
                "https://eng.obozrevatel.com/section-news/news-it-will-still-be-ours-lukashenko-considers-ukraine-his-region-04-11-2023.html",
                "Obozrevatel",
                _d("2023-11-04"),
            ),
        ),
        reviewer="dmytro",
        evidence=(
            Source(
                "https://news.yahoo.com/lukashenko-claims-ukraine-ours-says-143036538.html",
                "Ukrainska Pravda (via Yahoo News)",
                title='Lukashenko claims Ukraine "will still be ours"',
            ),
            Source(
                UP_ZELENSKYY_PRESSER.url,
                UP_ZELENSKYY_PRESSER.outlet,
                title=UP_ZELENSKYY_PRESSER.title,
                stance=ST.REFUTES,
            ),
            Source(
                "https://rubryka.com/en/2023/11/04/na-mene-nihto-ne-tysne-shhob-ukrayina-sila-za-stil-peregovoriv-z-rf-zelenskyj",
                "Rubryka",
                title='Zelensky: "No one is pressuring me to have Ukraine sit down '
                'at the negotiating table with Russia"',
                stance=ST.REFUTES,
            ),
        ),
        verdict=VerdictData(
            "false",
            "Lukashenko offered no evidence, and Zelensky did not leave: he held a press "
            "conference in Kyiv the next day and has gone on leading the country from Kyiv.",
            "Lukashenko made the remark at a meeting with workers of the Belarusian nuclear "
            "power plant in Astravets, as reported by the state news agency BelTA and by "
            "Ukrainska Pravda. He named no source and gave no detail. We looked for any sign "
            "that Zelensky was preparing to leave and found none: on 4 November he received the "
            "President of the European Commission in Kyiv and answered journalists' questions "
            "with her. Claims that he had fled or was about to flee have circulated since the "
            "first days of the full-scale invasion, when he answered them with videos recorded "
            "in central Kyiv.",
        ),
    ),
    DemoClaim(
        claimant="alexander-lukashenko",
        claim_reviewed="Ukraine will end up together with Belarus and Russia",
        text='"Ukraine will still be ours. Nobody needs this Ukraine."',
        status=S.REJECTED,
        claim_date=_d("2023-11-03"),
        topics=("war-in-ukraine",),
        appearances=(
            Source(
                "https://news.yahoo.com/lukashenko-claims-ukraine-ours-says-143036538.html",
                "Ukrainska Pravda (via Yahoo News)",
                _d("2023-11-03"),
            ),
        ),
        status_note="Not check-worthy: a statement of political intent and a prediction, not a "
        "claim of fact that evidence could confirm or refute.",
    ),
    DemoClaim(
        claimant="volodymyr-zelenskyy",
        claim_reviewed="No EU or US leader is pressuring Ukraine to negotiate with Russia",
        text='"Now, none of the EU, U.S. leaders, our partners are putting pressure on us" to '
        "sit down with Russia, talk to it or give it something.",
        status=S.WITHDRAWN,
        claim_date=_d("2023-11-04"),
        topics=("peace-talks",),
        appearances=(
            UP_ZELENSKYY_PRESSER,
            Source(
                "https://rubryka.com/en/2023/11/04/na-mene-nihto-ne-tysne-shhob-ukrayina-sila-za-stil-peregovoriv-z-rf-zelenskyj",
                "Rubryka",
                _d("2023-11-04"),
            ),
        ),
        evidence=(
            Source(NBC_REPORT.url, NBC_REPORT.outlet, title=NBC_REPORT.title),
            Source(
                UP_ZELENSKYY_PRESSER.url,
                UP_ZELENSKYY_PRESSER.outlet,
                title=UP_ZELENSKYY_PRESSER.title,
            ),
        ),
        verdict=VerdictData(
            "misleading",
            "The NBC News report of the same day describes US and European officials quietly "
            "raising possible negotiations with Kyiv, which sits uneasily with the statement.",
            "We compared Zelensky's statement at his press conference with Ursula von der Leyen "
            "on 4 November 2023 with the NBC News report published the same day, which says US "
            "and European officials had begun discussing with Kyiv what peace negotiations "
            "might involve.",
        ),
        status_note="Withdrawn: the fact-check read the NBC News report as evidence of "
        "pressure on Kyiv, which the report does not claim. Its sources describe discussions, "
        "a senior US official rejected any notion of nudging Ukraine toward talks, and no "
        "public record shows whether pressure was applied.",
    ),
    DemoClaim(
        claimant="volodymyr-zelenskyy",
        claim_reviewed="The war with Russia is not at a stalemate",
        text='"Time has passed, people are tired ... But this is not a stalemate."',
        status=S.IN_APPROVAL,
        claim_date=_d("2023-11-04"),
        topics=("war-in-ukraine",),
        appearances=(
            Source(
                "https://babel.ua/en/news/100256-this-is-not-a-stalemate-zelensky-commented-on-zaluzhnyi-s-article",
                "Babel",
                _d("2023-11-04"),
            ),
        ),
        evidence=(
            Source(
                ECONOMIST_ZALUZHNYI.url,
                ECONOMIST_ZALUZHNYI.outlet,
                title=ECONOMIST_ZALUZHNYI.title,
                stance=ST.REFUTES,
            ),
            Source(
                "https://babel.ua/en/news/100256-this-is-not-a-stalemate-zelensky-commented-on-zaluzhnyi-s-article",
                "Babel",
                title='"This is not a stalemate." Zelensky commented on Zaluzhnyi\'s article',
            ),
        ),
        verdict=VerdictData(
            "half-true",
            "Neither army had stopped fighting for ground, but the front had barely moved for "
            "months, as Ukraine's own commander-in-chief had said publicly three days earlier.",
            "Zelensky spoke at a press conference in Kyiv on 4 November 2023, answering General "
            "Zaluzhnyi's interview with The Economist, which described a first world war-style "
            "stalemate and put Ukraine's advance at 17 kilometres in five months. Whether a "
            "war is a stalemate is partly a judgment; we weighed the movement of the front line "
            "reported by both sides and by independent analysts.",
        ),
    ),
    DemoClaim(
        claimant="vladimir-putin",
        claim_reviewed="Four Ukrainian regions overwhelmingly voted to join Russia in 2022",
        text='"These days, people in Donetsk and Lugansk, Kherson and Zaporozhye have spoken in '
        'favor of restoring our historic unity."',
        status=S.PUBLISHED,
        claim_date=_d("2022-09-30"),
        topics=("occupied-territories", "war-in-ukraine"),
        appearances=(
            Source("https://tass.com/politics/1516085", "TASS", _d("2022-09-30")),
            Source(
                "https://sputniknews.com/20220930/putin-speaks-at-ceremony-on-accession-of-new-territories-into-russian-federation-1101361944.html",
                "Sputnik",
                _d("2022-09-30"),
            ),
        ),
        evidence=(
            Source(
                "https://sputniknews.com/20220930/putin-speaks-at-ceremony-on-accession-of-new-territories-into-russian-federation-1101361944.html",
                "Sputnik",
                title="Putin Speaks at Ceremony on Accession of New Territories Into "
                "Russian Federation",
            ),
            Source(
                "https://en.interfax.com.ua/news/general/865264.html",
                "Interfax-Ukraine",
                title="Report on the UN General Assembly vote of 12 October 2022",
                stance=ST.REFUTES,
            ),
            Source(
                "https://www.thenationalnews.com/world/2022/10/12/un-general-assembly-strongly-condemns-russia-annexing-ukrainian-territory/",
                "The National",
                title="Report on the UN General Assembly vote of 12 October 2022",
                stance=ST.REFUTES,
            ),
            Source(
                "https://www.ostro.info/news/8046/",
                "Ostro",
                title='"Referendums" organized by Russia in occupied territories not to have '
                "legal force - OSCE",
                stance=ST.REFUTES,
            ),
        ),
        verdict=VerdictData(
            "misleading",
            "The announced results were overwhelming, but the votes were organised by Russian "
            "occupation authorities in wartime without independent observation, and 143 UN "
            "member states declared them invalid.",
            "The so-called referendums were held on 23-27 September 2022 in the parts of four "
            "Ukrainian regions that Russian forces occupied. Their organisers announced 87% to "
            "99% in favour. Beforehand the OSCE's leadership said votes organised by forces "
            "exercising illegal control over occupied territory would have no legal force; on "
            "12 October 2022 the UN General Assembly, by 143 votes to 5 with 35 abstentions, "
            "declared them invalid and called on states not to recognise any change of status. "
            "Reports from the regions described ballots collected door to door by officials "
            "accompanied by armed men. Presenting the announced figures as a free choice of "
            "the regions' people gives a false impression.",
        ),
    ),
    DemoClaim(
        claimant="jake-sullivan",
        claim_reviewed="The war in Ukraine is not a stalemate",
        text='"We do not assess that the conflict is a stalemate." Ukraine is taking territory '
        'on a "methodical, systematic basis".',
        status=S.PUBLISHED,
        claim_date=_d("2023-08-22"),
        topics=("war-in-ukraine",),
        appearances=(
            Source(
                "https://www.whitehouse.gov/briefing-room/press-briefings/2023/08/22/press-gaggle-by-national-security-advisor-jake-sullivan-2/",
                "The White House",
                _d("2023-08-22"),
                quote="We do not assess that the conflict is a stalemate.",
            ),
            NBC_REPORT,
        ),
        reviewer="dmytro",
        evidence=(
            Source(
                "https://www.whitehouse.gov/briefing-room/press-briefings/2023/08/22/press-gaggle-by-national-security-advisor-jake-sullivan-2/",
                "The White House",
                title="Press Gaggle by National Security Advisor Jake Sullivan (22 August 2023)",
                kind=K.PRIMARY_SOURCE,
            ),
            Source(
                ECONOMIST_ZALUZHNYI.url,
                ECONOMIST_ZALUZHNYI.outlet,
                title=ECONOMIST_ZALUZHNYI.title,
                stance=ST.REFUTES,
                quote="Just like in the first world war we have reached the level of "
                "technology that puts us into a stalemate",
            ),
            Source(NBC_REPORT.url, NBC_REPORT.outlet, title=NBC_REPORT.title),
        ),
        verdict=VerdictData(
            "half-true",
            "Ukraine was still retaking ground when Sullivan spoke, but only a little, and by "
            "November Ukraine's own commander-in-chief called the war a stalemate.",
            "Sullivan spoke at a White House press gaggle on 22 August 2023. Around then "
            "Ukrainian forces did retake villages on the southern front, Robotyne among them at "
            "the end of August, so 'taking territory' was accurate. But the gains were small: "
            "The Economist, interviewing General Valerii Zaluzhnyi on 1 November, put Ukraine's "
            "advance at 17 kilometres in five months, and Zaluzhnyi himself described a first "
            "world war-style stalemate; NBC News reported that some US military officials were "
            "privately using the same word. Whether a war is a stalemate is partly a judgment. "
            "The facts Sullivan cited hold; the impression of steady progress does not.",
        ),
    ),
    DemoClaim(
        claimant="valerii-zaluzhnyi",
        claim_reviewed="The war has reached a First World War-style stalemate",
        text='"Just like in the first world war we have reached the level of technology that '
        'puts us into a stalemate."',
        status=S.RECEIVED,
        claim_date=_d("2023-11-01"),
        topics=("war-in-ukraine",),
        origin=ClaimOrigin.ADMIN,
        appearances=(ECONOMIST_ZALUZHNYI,),
    ),
]


# --- Seeding --------------------------------------------------------------------------


@dataclass
class DemoSummary:
    claims: int
    published: int
    users: int
    created: int
    by_status: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"Demo: {self.claims} claims ({self.published} published), {self.users} users; "
            f"{self.created} claims created in this run"
        )


@dataclass
class _Context:
    users: dict[str, AbstractBaseUser]
    claimants: dict[str, Claimant]
    topics: dict[str, Topic]


def seed_demo() -> DemoSummary:
    """Create whatever of the demo is missing and return a summary of what exists."""
    with transaction.atomic():
        ctx = _Context(users=_ensure_users(), claimants={}, topics=_ensure_topics())
        ctx.claimants = _ensure_claimants(ctx.users["admin"])
        _ensure_profiles(ctx.users, ctx.topics)
    created = 0
    for spec in CLAIMS:
        if find_demo_claim(spec.key) is None:
            # One claim, one transaction: an interrupted run leaves no half-walked claim.
            with transaction.atomic():
                _seed_claim(spec, ctx)
            created += 1
    return _summary(created)


def find_demo_claim(key: tuple[str, str]) -> Claim | None:
    claimant, claim_reviewed = key
    return Claim.objects.filter(claimant__slug=claimant, claim_reviewed=claim_reviewed).first()


def demo_claims() -> list[Claim]:
    keys = [Q(claimant__slug=c, claim_reviewed=r) for c, r in (spec.key for spec in CLAIMS)]
    return list(Claim.objects.filter(reduce(or_, keys)).select_related("claimant"))


def _summary(created: int) -> DemoSummary:
    claims = demo_claims()
    by_status: dict[str, int] = {}
    for claim in claims:
        by_status[claim.status] = by_status.get(claim.status, 0) + 1
    users = get_user_model().objects.filter(username__in=[u for u, _, _ in DEMO_USERS])
    return DemoSummary(
        claims=len(claims),
        published=by_status.get(S.PUBLISHED, 0),
        users=users.count(),
        created=created,
        by_status=by_status,
    )


def _ensure_users() -> dict[str, AbstractBaseUser]:
    """Demo users get their password only when created: a changed password survives."""
    user_model = get_user_model()
    users = {}
    for username, role, password in DEMO_USERS:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@example.org",
                "is_staff": True,
                "is_superuser": role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users


def _ensure_topics() -> dict[str, Topic]:
    return {
        slug: Topic.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in TOPICS
    }


def _ensure_claimants(actor: AbstractBaseUser) -> dict[str, Claimant]:
    claimants = {}
    for data in CLAIMANTS:
        claimant = Claimant.objects.filter(slug=data.slug).first()
        if claimant is None:
            claimant = Claimant(
                slug=data.slug,
                name=data.name,
                description=data.description,
                wikidata_id=data.wikidata_id,
                kind=data.kind,
            )
            claimant.full_clean()
            claimant._history_user = actor  # recorded by simple-history
            claimant._change_reason = "demo"
            claimant.save()
        for alias in data.aliases:
            ClaimantAlias.objects.get_or_create(claimant=claimant, name=alias)
        claimants[data.slug] = claimant
    return claimants


def _ensure_profiles(users: dict[str, AbstractBaseUser], topics: dict[str, Topic]) -> None:
    for username, slugs in PROFILE_TOPICS.items():
        profile, created = ReviewerProfile.objects.get_or_create(
            user=users[username], defaults={"languages": REVIEWER_LANGUAGES}
        )
        if created:
            profile.topics.set([topics[slug] for slug in slugs])


def _seed_claim(spec: DemoClaim, ctx: _Context) -> None:
    """Walk one claim from creation to its demo status, only through the services."""
    creator = None if spec.origin == ClaimOrigin.API else ctx.users[EDITOR]
    if spec.origin == ClaimOrigin.ADMIN:
        creator = ctx.users[spec.reviewer]
    claim = services.claim_create(
        actor=creator,
        text=spec.text,
        claim_reviewed=spec.claim_reviewed,
        claimant=ctx.claimants[spec.claimant],
        topics=[ctx.topics[slug] for slug in spec.topics],
        claim_date=spec.claim_date,
        origin=spec.origin,
        appearances=[
            {"url": a.url, "outlet": a.outlet, "date": a.date, "quote": a.quote}
            for a in spec.appearances
        ],
    )
    if spec.status == S.RECEIVED:
        return
    # What the intake task does; done here so the demo does not wait for a worker.
    services.claim_triage(claim_id=claim.pk)
    editor = ctx.users[EDITOR]
    if spec.status == S.REJECTED:
        services.claim_reject(actor=editor, claim=claim, reason=spec.status_note)
    elif spec.status == S.DUPLICATE:
        survivor = find_demo_claim(spec.duplicate_of) if spec.duplicate_of else None
        if survivor is None:
            raise ValueError(
                f"Demo claim {spec.key} is a duplicate of a claim not seeded before it."
            )
        services.claim_merge(actor=editor, claim=claim, into=survivor)
    elif spec.status != S.QUEUED:
        _review(claim, spec, ctx)


def _review(claim: Claim, spec: DemoClaim, ctx: _Context) -> None:
    reviewer, editor = ctx.users[spec.reviewer], ctx.users[EDITOR]
    if spec.reviewer == "olena":
        services.claim_take(actor=reviewer, claim=claim)
    else:
        services.claim_assign(actor=editor, claim=claim, assignee=reviewer)
    for item in spec.evidence:
        services.evidence_add(
            actor=reviewer, claim=claim, url=item.url, title=item.title or item.outlet,
            publisher=item.outlet, kind=item.kind, stance=item.stance, quote=item.quote,
        )  # fmt: skip
    if spec.sent_back:
        first, note = spec.sent_back
        _propose(claim, reviewer, first)
        services.claim_send_back(actor=editor, claim=claim, note=note)
    if spec.verdict is None:
        raise ValueError(f"Demo claim {spec.key} reaches review and needs a verdict.")
    if spec.status == S.IN_REVIEW:
        services.verdict_save_draft(actor=reviewer, claim=claim, **_verdict_kwargs(spec.verdict))
        return
    _propose(claim, reviewer, spec.verdict)
    if spec.status == S.IN_APPROVAL:
        return
    services.claim_approve(actor=editor, claim=claim)
    if spec.correction:
        note, corrected = spec.correction
        services.claim_correct(actor=editor, claim=claim, note=note)
        _propose(claim, reviewer, corrected)
        services.claim_approve(actor=editor, claim=claim)
    if spec.status == S.WITHDRAWN:
        services.claim_withdraw(actor=editor, claim=claim, reason=spec.status_note)


def _propose(claim: Claim, reviewer: AbstractBaseUser, verdict: VerdictData) -> None:
    services.claim_propose(actor=reviewer, claim=claim, **_verdict_kwargs(verdict))


def _verdict_kwargs(verdict: VerdictData) -> dict:
    return {
        "rating": Rating.objects.get(slug=verdict.rating),
        "summary": verdict.summary,
        "explanation": verdict.explanation,
    }
