import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit import macs

KEY = b"k" * 32
HASH = "a" * 64


def test_a_mac_is_hex_hmac_sha256_and_depends_on_key_and_hash():
    mac = macs.event_mac(KEY, HASH)
    assert len(mac) == 64 and int(mac, 16) >= 0
    assert macs.event_mac(KEY, HASH) == mac


@pytest.mark.parametrize(("key", "event_hash", "matches"), [
    (KEY, HASH, True),
    (b"x" * 32, HASH, False),             # another key: a forger's
    (KEY, "b" + HASH[1:], False),          # another event
    (KEY + b"!", HASH, False),
])
def test_mac_matches_only_the_same_key_and_hash(key, event_hash, matches):
    assert macs.mac_matches(key, event_hash, macs.event_mac(KEY, HASH)) is matches


@pytest.mark.parametrize("mac", ["", "0" * 64, "not hex", macs.event_mac(KEY, HASH).upper()])
def test_a_wrong_or_mangled_mac_does_not_match(mac):
    assert not macs.mac_matches(KEY, HASH, mac)


def test_key_ids_are_short_stable_and_tell_keys_apart():
    assert macs.key_id(KEY) == macs.key_id(bytes(KEY))
    assert len(macs.key_id(KEY)) == 16
    assert macs.key_id(KEY) != macs.key_id(b"y" * 32)
    # The id names the key without being a MAC made with it.
    assert macs.key_id(KEY) not in macs.event_mac(KEY, HASH)


@given(st.binary(min_size=1, max_size=64), st.text(alphabet="0123456789abcdef", min_size=64,
                                                    max_size=64))
def test_every_mac_verifies_with_its_own_key_and_no_other(key, event_hash):
    mac = macs.event_mac(key, event_hash)
    assert macs.mac_matches(key, event_hash, mac)
    # HMAC pads short keys with zero bytes, so "another key" flips a bit rather than appending.
    assert not macs.mac_matches(bytes([key[0] ^ 1]) + key[1:], event_hash, mac)
