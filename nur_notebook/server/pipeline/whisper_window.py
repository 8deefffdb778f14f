"""One utterance through Whisper in an encoder window shorter than its trained 30 s.

faster-whisper pads every utterance's features to 3000 frames (30 s), and the encoder's
cost grows with the window, not with the speech: on a 2-core machine most of a short
turn's recognition time encodes silence. Here the features are padded to a window sized
to the utterance instead (at least ``min_window_s``, and ``room`` times the speech, so the
decoder still sees a long quiet stretch after the last word) and decoded through the same
CTranslate2 model with faster-whisper's own prompt and token rules.

Cut to the utterance itself the decoder, trained on padded windows, often never stops (it
repeats the sentence until the token cap). A window well past the speech keeps it on track
(measured in docs/engines.md); for what slips through, a transcript that repeats itself
(compresses better than :data:`MAX_COMPRESSION`, Whisper's own test, or says a sentence
twice in a row) or runs to the token cap is decoded again in the full window.

    >>> window_frames(2.0, min_window_s=10.0, room=3.0)
    1000
    >>> window_frames(7.0, min_window_s=10.0, room=3.0)
    2100
    >>> window_frames(20.0, min_window_s=10.0, room=3.0)
    3000
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Mel frames a second (hop of 160 samples at 16 kHz), and Whisper's trained window.
FRAMES_PER_SECOND = 100
FULL_WINDOW = 3000
#: A transcript compressing better than this repeats itself (Whisper's fallback test).
MAX_COMPRESSION = 2.4
#: Whisper's decoder context, prompt included.
MAX_LENGTH = 448


def window_frames(seconds: float, *, min_window_s: float, room: float) -> int:
    """Encoder frames for an utterance of ``seconds``: ``room`` times it, at least
    ``min_window_s``, at most the full 30 s."""
    want = max(min_window_s, room * seconds) * FRAMES_PER_SECOND
    return int(min(FULL_WINDOW, np.ceil(want)))


def repeats_itself(text: str) -> bool:
    """Whether ``text`` compresses like a loop rather than a sentence, or says a sentence
    of four words or more twice in a row."""
    data = text.strip().encode()
    if len(data) > 40 and len(data) / len(zlib.compress(data)) > MAX_COMPRESSION:
        return True
    sentences = [s.strip().lower() for s in re.split(r"[.!?]+", text) if s.strip()]
    return any(a == b and len(a.split()) >= 4 for a, b in itertools.pairwise(sentences))


@dataclass(frozen=True)
class Decoded:
    """One window's transcript, with what the speech filter needs."""

    text: str
    no_speech_prob: float
    avg_logprob: float
    hit_cap: bool


def decode(
    model: Any,
    audio: np.ndarray,
    *,
    language: str,
    frames: int,
    beam_size: int,
    prompt_text: str | None,
    max_new_tokens: int | None = None,
) -> Decoded:
    """Greedy (or beam) decoding of ``audio`` with its features padded to ``frames``
    (at most ``max_new_tokens`` of text, else up to Whisper's context).

    ``model`` is a ``faster_whisper.WhisperModel``; the prompt is built as its
    ``transcribe`` builds one without timestamps: the previous text (``prompt_text``)
    after ``<|startofprev|>``, then the start sequence.
    """
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_ctranslate2_storage, get_suppressed_tokens

    ct2 = model.model
    multilingual = ct2.is_multilingual
    tokenizer = Tokenizer(
        model.hf_tokenizer,
        multilingual,
        task="transcribe",
        language=language if multilingual else "en",
    )
    # The last frame covers only the padding (faster-whisper drops it too).
    features = model.feature_extractor(audio)[:, :-1][:, :frames]
    if features.shape[-1] < frames:
        features = np.pad(features, ((0, 0), (0, frames - features.shape[-1])))
    encoded = ct2.encode(get_ctranslate2_storage(features[None]), to_cpu=False)

    prompt: list[int] = []
    if prompt_text:
        previous = tokenizer.encode(" " + prompt_text.strip())
        prompt = [tokenizer.sot_prev, *previous[-(MAX_LENGTH // 2 - 1) :]]
    prompt += [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    max_length = MAX_LENGTH
    if max_new_tokens is not None:
        max_length = min(MAX_LENGTH, len(prompt) + max_new_tokens)
    result = ct2.generate(
        encoded,
        [prompt],
        beam_size=beam_size,
        patience=1,
        max_length=max_length,
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=list(get_suppressed_tokens(tokenizer, (-1,)) or ()),
    )[0]
    sequence = result.sequences_ids[0]
    # The score is the mean log prob of the tokens (length penalty 1); faster-whisper
    # averages over one more, for the end token.
    avg_logprob = result.scores[0] * len(sequence) / (len(sequence) + 1)
    return Decoded(
        text=tokenizer.decode([t for t in sequence if t < tokenizer.eot]),
        no_speech_prob=result.no_speech_prob,
        avg_logprob=avg_logprob,
        hit_cap=len(prompt) + len(sequence) >= max_length,
    )
