"""Push delivery's pure parts: the signature a receiver verifies, acceptable endpoints and
secrets, what an answer means, when to retry or give up, and the sealed secret."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hub.domain import push
from hub.domain.errors import ConfigError
from hub.infra.store.push import seal, unseal

SECRET = b"0123456789abcdef-secret"
BODY = b"<Bericht>...</Bericht>"


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body_as_documented() -> None:
    header = push.sign(SECRET, BODY, 1_700_000_000)
    expected = hmac.new(SECRET, b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_refuses_another_body_secret_or_an_old_timestamp() -> None:
    header = push.sign(SECRET, BODY, 1_700_000_000)
    assert push.verify(SECRET, BODY, header, now=1_700_000_100)
    assert not push.verify(SECRET, BODY + b" ", header, now=1_700_000_100)
    assert not push.verify(b"another-secret-of-16", BODY, header, now=1_700_000_100)
    assert not push.verify(SECRET, BODY, header, now=1_700_000_000 + 301)  # a replay
    assert not push.verify(SECRET, BODY, "v1=abc", now=1_700_000_000)


@pytest.mark.parametrize(
    ("url", "allow_http", "fine"),
    [
        ("https://receiver.example/push", False, True),
        ("https://10.0.0.5:8443/isd", False, True),
        ("http://receiver.example/push", False, False),
        ("http://127.0.0.1:9000/push", True, True),
        ("ftp://receiver.example/", True, False),
        ("https://user:pw@receiver.example/", False, False),
        ("https:///no-host", False, False),
        ("https://receiver.example/#frag", False, False),
        ("https://receiver.example:99999/", False, False),
        ("https://receiver.example/ space", False, False),
    ],
)
def test_only_https_endpoints_unless_http_is_allowed(
    url: str, allow_http: bool, fine: bool
) -> None:
    assert (push.url_problem(url, allow_http=allow_http) is None) is fine


def test_a_secret_has_at_least_16_bytes() -> None:
    assert push.secret_problem(b"x" * 15) is not None
    assert push.secret_problem(b"x" * 16) is None
    assert push.secret_problem(b"x" * 1025) is not None


@pytest.mark.parametrize(
    ("status", "label", "text"),
    [
        (200, "delivered", ""),
        (204, "delivered", ""),
        (302, "redirect", "redirect 302"),
        (400, "client-error", "client-error 400"),
        (410, "gone", "gone 410"),
        (503, "server-error", "server-error 503"),
        (101, "status", "status 101"),
    ],
)
def test_what_a_status_means(status: int, label: str, text: str) -> None:
    answer = push.answer_of(status)
    assert answer.label == label
    assert answer.text == text


def test_retry_backs_off_until_the_give_up_time_then_gives_up() -> None:
    fail = push.answer_of(503)
    assert push.retry_in(fail, age_s=10, pause_s=5, give_up_s=100) == 5
    assert push.retry_in(fail, age_s=98, pause_s=5, give_up_s=100) == 2  # one last try at 100
    assert push.retry_in(fail, age_s=100, pause_s=5, give_up_s=100) is None
    assert push.retry_in(push.answer_of(410), age_s=0, pause_s=5, give_up_s=100) is None
    assert push.retry_in(push.Answer(False, "purged"), age_s=0, pause_s=5, give_up_s=100) is None
    with pytest.raises(ValueError, match="delivered"):
        push.retry_in(push.DELIVERED, age_s=0, pause_s=5, give_up_s=100)


def test_a_sealed_secret_opens_only_with_its_key_and_for_its_party() -> None:
    sealed = seal("master-key-of-the-hub", "0363", SECRET)
    assert SECRET not in sealed
    assert unseal("master-key-of-the-hub", "0363", sealed) == SECRET
    with pytest.raises(ConfigError, match="HUB_PERSON_KEY_SECRET"):
        unseal("another-master-key", "0363", sealed)
    with pytest.raises(ConfigError):
        unseal("master-key-of-the-hub", "0344", sealed)  # moved to another party
