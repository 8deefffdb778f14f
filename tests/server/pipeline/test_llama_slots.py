from __future__ import annotations

from nur_notebook.server.pipeline.llama_slots import PrefixCache, Slot, choose_slot, common_prefix


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2]) == 2


def test_a_session_gets_its_own_slot_back() -> None:
    slots = [Slot(0, [1, 2], key="a", last_used=1), Slot(1, [3], key="b", last_used=2)]
    assert choose_slot(slots, "b") is slots[1]
    assert choose_slot(slots, "a") is slots[0]


def test_an_empty_slot_before_evicting_and_then_the_least_recent() -> None:
    slots = [Slot(0, [1], key="a", last_used=5), Slot(1), Slot(2, [4], key="c", last_used=1)]
    assert choose_slot(slots, "new") is slots[1]
    slots[1].busy = True
    assert choose_slot(slots, "new") is slots[2]  # c was used longest ago
    for slot in slots:
        slot.busy = True
    assert choose_slot(slots, "a") is None  # all busy: the request waits


def test_a_session_waits_for_its_own_busy_slot() -> None:
    slots = [Slot(0, [1, 2, 3], key="a", busy=True), Slot(1)]
    assert choose_slot(slots, "a") is None  # its warm-up is running: wait for that cache
    assert choose_slot(slots, "b") is slots[1]


def _cache(budget: int = 10, seqs: int = 3) -> PrefixCache:
    return PrefixCache(range(4, 4 + seqs), budget_cells=budget, min_tokens=2)


def _built(cache: PrefixCache, tokens: list[int], now: float) -> Slot:
    made = cache.add(tokens, now=now)
    assert made is not None
    entry, _ = made
    entry.tokens, entry.busy, entry.target = list(tokens), False, None  # as the engine does
    return entry


def test_a_prompt_matches_the_prefix_sharing_its_longest_start() -> None:
    cache = _cache()
    short = _built(cache, [1, 2, 3], now=1)
    long = _built(cache, [1, 2, 3, 4, 5], now=2)
    assert cache.match([1, 2, 3, 4, 9]) == (long, 4)
    assert cache.match([1, 2, 8]) == (short, 2)  # a tie: the first one made
    assert cache.match([9, 9]) == (None, 0)
    assert cache.find([1, 2, 3]) is short
    assert cache.find([1, 2]) is None


def test_a_match_shorter_than_the_minimum_is_not_worth_a_copy() -> None:
    cache = PrefixCache([4], budget_cells=100, min_tokens=3)
    _built(cache, [1, 2, 3, 4], now=1)
    assert cache.match([1, 2, 9]) == (None, 0)
    assert cache.match([1, 2, 3])[1] == 3


def test_a_prefix_being_evaluated_matches_by_what_it_will_hold() -> None:
    cache = _cache()
    made = cache.add([1, 2, 3, 4], now=1)
    assert made is not None
    entry, evicted = made
    assert entry.busy
    assert entry.tokens == []
    assert evicted == []
    assert cache.match([1, 2, 3, 4]) == (entry, 4)  # a request waits for it
    assert cache.match([1, 2, 3, 4], ready_only=True) == (None, 0)
    assert cache.cells == 4


def test_the_least_recently_used_idle_prefix_goes_first() -> None:
    cache = _cache(budget=10)
    old = _built(cache, [1, 1, 1, 1], now=1)
    recent = _built(cache, [2, 2, 2, 2], now=2)
    old.last_used = 0.5
    made = cache.add([3, 3, 3, 3], now=3)  # 12 cells > 10: one must go
    assert made is not None
    _, evicted = made
    assert evicted == [old]
    assert cache.entries[0] is recent
    assert cache.cells == 8


def test_sequences_are_bounded_too_and_their_ids_are_reused() -> None:
    cache = _cache(budget=100, seqs=2)
    first = _built(cache, [1, 1], now=1)
    _built(cache, [2, 2], now=2)
    made = cache.add([3, 3], now=3)
    assert made is not None
    entry, evicted = made
    assert evicted == [first]
    assert entry.seq_id == first.seq_id


def test_busy_prefixes_are_never_evicted_and_an_oversized_prompt_is_refused() -> None:
    cache = _cache(budget=6)
    made = cache.add([1, 1, 1, 1], now=1)  # still being evaluated
    assert made is not None
    assert cache.add([2, 2, 2, 2], now=2) is None  # would need the busy one's cells
    assert cache.add(list(range(7)), now=3) is None  # larger than the whole budget
    assert len(cache.entries) == 1


def test_a_zero_budget_turns_sharing_off() -> None:
    cache = PrefixCache([], budget_cells=0)
    assert not cache.enabled
    assert cache.add([1, 2], now=1) is None


def test_a_session_holding_more_of_the_prompt_matches_before_a_prefix() -> None:
    cache = _cache()
    prefix = _built(cache, [1, 2, 3], now=1.0)
    sessions = [Slot(0, [1, 2, 3, 4, 5], key="a"), Slot(1, [1, 9], key="b")]
    assert cache.match([1, 2, 3, 4, 7], sessions=sessions) == (sessions[0], 4)
    assert cache.match([1, 2, 3, 8], sessions=sessions) == (prefix, 3)  # ties: the prefix
    assert cache.match([1, 9, 9], sessions=sessions) == (sessions[1], 2)
    off = PrefixCache([4], budget_cells=0, min_tokens=2)  # sharing off: sessions don't count
    assert off.match([1, 2, 3, 4], sessions=sessions) == (None, 0)
