"""factory_boy factories. `ClaimFactory(status=...)` builds the rows a state implies
(assignee, verdicts) directly, so tests can start from any point of the workflow."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from claims.models import (
    Appearance,
    Claim,
    Claimant,
    ClaimStatus,
    Evidence,
    EvidenceKind,
    EvidenceStance,
    Rating,
    Topic,
    Verdict,
    VerdictStatus,
)
from publishing.services import publication_publish, publication_withdraw


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.django.Password("pw-for-tests")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs) -> None:
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class ClaimantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claimant
        django_get_or_create = ("slug",)

    name = "Sergei Shoigu"
    slug = "sergei-shoigu"
    description = "Russian Defence Minister"
    wikidata_id = "Q313463"


def rating(slug: str = "false") -> Rating:
    return Rating.objects.get(slug=slug)


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim
        skip_postgeneration_save = True

    text = "Ukraine's casualties in the counteroffensive exceed 90,000 troops."
    claim_reviewed = "Ukrainian casualties exceed 90,000 troops"
    claimant = factory.SubFactory(ClaimantFactory)
    language = "en"
    status = ClaimStatus.QUEUED

    @factory.post_generation
    def appearances(self, create: bool, extracted, **kwargs) -> None:
        """Where the claim was made: one appearance unless told otherwise (ClaimReview
        needs one to publish). Pass `appearances=[]` for none."""
        if not create:
            return
        for data in [{}] if extracted is None else extracted:
            Appearance.objects.create(
                claim=self,
                url=data.get("url", "https://tass.com/defense/1669335"),
                outlet=data.get("outlet", "TASS"),
                date=data.get("date"),
            )

    @factory.post_generation
    def evidence(self, create: bool, extracted, **kwargs) -> None:
        """A claim past review shows its sources: one unless told otherwise (approval
        needs FACTCHECK_MIN_SOURCES). Pass `evidence=[]` for none."""
        past_review = {
            ClaimStatus.IN_APPROVAL, ClaimStatus.PUBLISHED, ClaimStatus.WITHDRAWN
        }  # fmt: skip
        if not create or (extracted is None and self.status not in past_review):
            return
        for data in [{}] if extracted is None else extracted:
            Evidence.objects.create(
                claim=self,
                url=data.get("url", "https://www.understandingwar.org/backgrounder/"),
                title=data.get("title", "Russian Offensive Campaign Assessment"),
                publisher=data.get("publisher", "Institute for the Study of War"),
                kind=data.get("kind", EvidenceKind.RESEARCH),
                stance=data.get("stance", EvidenceStance.CONTEXT),
            )

    @factory.post_generation
    def state(self, create: bool, extracted, **kwargs) -> None:
        """Give a claim the assignee and verdicts its status implies."""
        if not create:
            return
        author = kwargs.get("author") or self.assignee
        if (
            self.status
            in {
                ClaimStatus.IN_REVIEW,
                ClaimStatus.IN_APPROVAL,
                ClaimStatus.PUBLISHED,
                ClaimStatus.WITHDRAWN,
            }
            and author is None
        ):
            author = UserFactory(username="claim-author", roles=["Reviewer"])
        # The reviewer who took the claim stays its assignee after publishing (a
        # correction goes back to them), as claim_take and claim_approve leave it.
        if (
            self.status
            in {
                ClaimStatus.IN_REVIEW,
                ClaimStatus.IN_APPROVAL,
                ClaimStatus.PUBLISHED,
                ClaimStatus.WITHDRAWN,
            }
            and self.assignee is None
        ):
            self.assignee = author
            self.save(update_fields=["assignee"])
        # state__rating=, state__summary=, state__explanation=: the verdict's words, set
        # when it is written (a proposed or approved verdict is frozen afterwards).
        words = {k: kwargs[k] for k in ("rating", "summary", "explanation") if k in kwargs}
        if self.status == ClaimStatus.IN_APPROVAL:
            VerdictFactory(claim=self, author=author, status=VerdictStatus.PROPOSED, **words)
        if self.status in {ClaimStatus.PUBLISHED, ClaimStatus.WITHDRAWN}:
            approver = kwargs.get("approver") or UserFactory(
                username="claim-approver", roles=["Editor"]
            )
            VerdictFactory(
                claim=self,
                author=author,
                **words,
                status=VerdictStatus.APPROVED,
                approved_by=approver,
                approved_at=timezone.now(),
            )
            # The public side, as claim_approve and claim_withdraw leave it: a
            # Publication and its change events.
            publication_publish(self)
            if self.status == ClaimStatus.WITHDRAWN:
                publication_withdraw(self)


class VerdictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Verdict

    claim = factory.SubFactory(ClaimFactory)
    version = factory.LazyAttribute(lambda v: v.claim.verdicts.count() + 1)
    rating = factory.LazyFunction(rating)
    summary = (
        "The figure comes from the Russian defence ministry and cannot be checked independently."
    )
    explanation = (
        "No independent source confirms the number; Ukraine does not publish casualty counts."
    )
    author = factory.SubFactory(UserFactory)
    status = VerdictStatus.DRAFT


def source_add(claim: Claim, actor=None) -> Evidence:
    """Attach one source through the service, as the assignee does while the claim is in
    review (approval needs FACTCHECK_MIN_SOURCES of them)."""
    from claims import services

    return services.evidence_add(
        actor=actor or claim.assignee,
        claim=claim,
        url="https://www.understandingwar.org/backgrounder/",
        title="Russian Offensive Campaign Assessment",
        publisher="Institute for the Study of War",
        kind=EvidenceKind.RESEARCH,
        stance=EvidenceStance.CONTEXT,
    )
