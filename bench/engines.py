"""Per-stage figures of the offline engines, printed as a table.

    python3 bench/engines.py [--turns 3] [--skip-multilingual]

VAD per frame, STT real-time factor and fixed cost (a line fitted over clips of
several lengths), multilingual STT word error rate on eSpeak NG speech, brain
first-token latency (cold and with the system prompt cached), decode speed and
first-sentence latency, TTS real-time factor for Piper and eSpeak NG, and the RSS
of this process with everything loaded. Test speech comes from the espeak-ng command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil

from nur_notebook.server.pipeline.base import BrainRequest, Message, SayDelta
from nur_notebook.server.pipeline.text import SentenceSplitter

# The engine tests' speech maker, word error rate and support persona serve here too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server" / "pipeline"))
from brain_turns import LOOKUP, SUPPORT
from engine_speech import espeak_speech, word_error_rate

Row = tuple[str, str, str]
MULTILINGUAL = {
    "es": [
        ("es", "Buenos días, quiero cambiar mi pedido."),
        ("es", "Muchas gracias, adiós."),
        ("es", "¿Dónde está mi paquete? Lo pedí el lunes."),
    ],
    "fr": [
        ("fr", "Bonjour, je voudrais savoir où est ma commande."),
        ("fr", "Merci beaucoup, au revoir."),
        ("fr", "Pouvez-vous m'aider avec ma facture?"),
    ],
    "de": [
        ("de", "Wo ist meine Bestellung?"),
        ("de", "Vielen Dank, auf Wiedersehen."),
        ("de", "Ich möchte meine Adresse ändern."),
    ],
}


def speech(text: str, *, voice: str = "en-us") -> np.ndarray:
    """``text`` spoken by espeak-ng, 16 kHz mono float32."""
    with tempfile.TemporaryDirectory() as tmp:
        return espeak_speech(text, voice=voice, workdir=Path(tmp))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_vad(clip: np.ndarray) -> list[Row]:
    from nur_notebook.server.pipeline.vad import SileroVAD, WebRtcVAD

    rows = []
    for vad in (SileroVAD(), WebRtcVAD()):
        n = vad.frame_samples
        frames = [clip[i : i + n] for i in range(0, len(clip) - n + 1, n)]
        seconds = timed(lambda v=vad, f=frames: [v.speech_probability(x) for x in f])  # type: ignore[misc]
        per_frame = seconds / len(frames) * 1000
        rows.append((f"VAD {vad.name}", f"{per_frame:.3f} ms/frame", f"{n / 16:.0f} ms frames"))
    return rows


def bench_stt(stt: object, *, multilingual: bool) -> list[Row]:
    texts = [
        "Hello there.",
        "Where is my order one two three four five?",
        "Please send the blue package to my office before noon tomorrow, "
        "and call me when it has left the warehouse so I can plan my day.",
    ]
    points = []
    errors = []
    for text in texts:
        clip = speech(text)
        heard = ""

        def run(c: np.ndarray = clip) -> None:
            nonlocal heard
            heard = stt.transcribe(c, language="en")  # type: ignore[attr-defined]

        seconds = min(timed(run) for _ in range(2))
        points.append((len(clip) / 16000, seconds))
        errors.append(word_error_rate(text.replace("one two three four five", "12345"), heard))
    durations, costs = zip(*points, strict=True)
    rtf, fixed = np.polyfit(durations, costs, 1)
    rows: list[Row] = [
        ("STT tiny.en RTF", f"{rtf:.3f}", f"fit over {len(points)} clips of 1-8 s"),
        ("STT tiny.en fixed cost", f"{fixed * 1000:.0f} ms", "per call"),
        ("STT tiny.en WER (eSpeak)", f"{statistics.mean(errors):.2f}", f"{len(errors)} sentences"),
    ]
    if multilingual:
        for language, items in MULTILINGUAL.items():
            rates, spent, spoken = [], 0.0, 0.0
            for voice, text in items:
                clip = speech(text, voice=voice)
                start = time.perf_counter()
                heard = stt.transcribe(clip, language=language)  # type: ignore[attr-defined]
                spent += time.perf_counter() - start
                spoken += len(clip) / 16000
                rates.append(word_error_rate(text, heard))
            rows.append(
                (
                    f"STT base WER {language} (eSpeak)",
                    f"{statistics.mean(rates):.2f}",
                    f"{len(rates)} sentences, RTF {spent / spoken:.2f}",
                )
            )
    return rows


def bench_brain(brain: object, turns: int) -> list[Row]:
    firsts, sentences, rates = [], [], []
    questions = ["Hello! How are you today?", "What can you help me with?", "Thanks, that is all."]
    history: list[Message] = []
    for index in range(turns):
        history.append(Message("user", questions[index % len(questions)]))
        start = time.perf_counter()
        first = first_sentence = None
        text = ""
        splitter = SentenceSplitter()
        for event in brain.respond(  # type: ignore[attr-defined]
            BrainRequest(SUPPORT, tools=[LOOKUP], language="en", history=history)
        ):
            now = time.perf_counter() - start
            if isinstance(event, SayDelta):
                first = now if first is None else first
                text += event.text
                if first_sentence is None and splitter.feed(event.text):
                    first_sentence = now
        total = time.perf_counter() - start
        history.append(Message("agent", text))
        firsts.append(first or total)
        sentences.append(first_sentence or total)
        llm = getattr(brain, "_llm", None)
        tokens = len(llm.tokenize(text.encode(), add_bos=False)) if llm else len(text) / 4
        rates.append(tokens / max(total - (first or 0.0), 1e-6))
    rows: list[Row] = [
        ("Brain first token, turn 1", f"{firsts[0] * 1000:.0f} ms", "cold system prompt"),
    ]
    if len(firsts) > 1:
        rows.append(
            (
                "Brain first token, later turns",
                f"{statistics.median(firsts[1:]) * 1000:.0f} ms",
                f"median of {len(firsts) - 1}, cached prefix",
            )
        )
    rows.append(
        (
            "Brain first sentence",
            f"{statistics.median(sentences) * 1000:.0f} ms",
            f"median of {len(sentences)} turns",
        )
    )
    rows.append(("Brain decode", f"{statistics.median(rates):.1f} tok/s", "say text tokens"))
    start = time.perf_counter()
    decision = list(
        brain.respond(  # type: ignore[attr-defined]
            BrainRequest(
                SUPPORT,
                tools=[LOOKUP],
                language="en",
                history=[Message("user", "Where is my order 12345?")],
            )
        )
    )
    rows.append(
        (
            "Brain tool decision",
            f"{(time.perf_counter() - start) * 1000:.0f} ms",
            f"{decision[0]!r}"[:60] if decision else "none",
        )
    )
    return rows


def bench_tts(tts: object) -> list[Row]:
    rows: list[Row] = []
    text = "Your order has shipped and will arrive on Friday morning."
    for voice_id, language, label in [
        ("joe", "en", "TTS Piper joe RTF"),
        ("espeak_f", "en", "TTS eSpeak NG RTF (en)"),
        ("espeak_m", "es", "TTS eSpeak NG RTF (es)"),
    ]:
        rate = tts.rate_for(voice_id, language)  # type: ignore[attr-defined]
        audio: np.ndarray = np.zeros(0)

        def run(v: str = voice_id, lang: str = language) -> None:
            nonlocal audio
            audio = tts.synthesize(text, voice_id=v, language=lang)  # type: ignore[attr-defined]

        seconds = min(timed(run) for _ in range(3))
        rows.append((label, f"{seconds / (len(audio) / rate):.4f}", f"{rate} Hz"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3, help="brain turns to time")
    parser.add_argument("--skip-multilingual", action="store_true")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        sys.exit("bench/engines.py needs the espeak-ng and sox commands for its test speech")

    from nur_notebook.server.pipeline.options import EngineOptions
    from nur_notebook.server.pipeline.registry import load_engines

    load_at_start = os.getloadavg()[0]
    load_start = time.perf_counter()
    engines = load_engines(EngineOptions(multilingual_stt=not args.skip_multilingual))
    load_seconds = time.perf_counter() - load_start
    clip = np.concatenate([speech("The quick brown fox jumps over the lazy dog."), np.zeros(8000)])

    rows: list[Row] = [("Load all engines", f"{load_seconds:.1f} s", "weights verified")]
    rows += bench_vad(clip.astype(np.float32))
    rows += bench_stt(engines.stt, multilingual=not args.skip_multilingual)
    rows += bench_brain(engines.brain, args.turns)
    rows += bench_tts(engines.tts)
    rss = psutil.Process().memory_info().rss / 2**30
    rows.append(("RSS, everything loaded", f"{rss:.2f} GB", "this process"))

    load_at_end = os.getloadavg()[0]
    print(f"\nengines: {engines.description()}")
    # Timings are only comparable on a quiet machine: the load average says how quiet.
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_at_start:.1f} at the start, "
        f"{load_at_end:.1f} at the end\n"
    )
    width = max(len(r[0]) for r in rows)
    print(f"| {'stage'.ljust(width)} | figure | notes |")
    print(f"|{'-' * (width + 2)}|--------|-------|")
    for stage, figure, note in rows:
        print(f"| {stage.ljust(width)} | {figure} | {note} |")


if __name__ == "__main__":
    main()
