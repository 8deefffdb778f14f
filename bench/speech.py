"""Word error rate of the local speech recognition beyond the test voice.

    python3 bench/speech.py                       # the server's defaults
    python3 bench/speech.py --english base --beam 5 --no-hints

English sentences full of what agents hear (account and order numbers said digit by
digit, codes, names, places), spoken by several synthetic voices (eSpeak NG variants
through the ``espeak-ng`` command, the Piper voice in-process), each clean, mixed with
white noise at 10 dB SNR, and as telephone audio (band-limited and resampled through
8 kHz); then Spanish, French and German sentences by eSpeak NG. Each utterance goes
through ``WhisperSTT`` (the server's engine code) with the options given; with hints
(the default) Whisper is primed with the words of a sample agent's tools, as a session
does. References and transcripts are compared after the same normalisation (case,
punctuation, digit words as digits). Prints WER per condition, the number
utterances whose digits came through exactly, seconds per utterance, and the worst
misses.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from nur_notebook.server.pipeline.base import ToolSpec
from nur_notebook.server.pipeline.text import DIGIT_WORDS, normalize_digits

# The engine tests' word edit distance serves here too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server" / "pipeline"))
from engine_speech import word_edits

ENGLISH = [
    "What is the balance of account four four seven?",
    "My order number is five five eight one zero.",
    "Is flight BA 117 to London on time?",
    "Please book a table for four people on Friday at eight.",
    "Can you check the weather in Barcelona tomorrow?",
    "I want to cancel my subscription today.",
    "My name is Sarah Johnson and my phone number is five five five two eight one nine.",
    "Send two hundred dollars to my savings account.",
    "The ticket number is nine zero three two one.",
    "Turn off the lights in the kitchen please.",
    "I would like to return the blue jacket I bought last week.",
    "Thank you very much, that is all for today.",
]
OTHER = {
    "es": [
        "¿Cuál es el saldo de mi cuenta?",
        "Quiero reservar una mesa para dos personas el viernes.",
        "¿Qué tiempo hace hoy en Madrid?",
        "Mi número de pedido es cuatro cuatro siete.",
        "Muchas gracias por su ayuda.",
        "Necesito cambiar la dirección de entrega.",
    ],
    "fr": [
        "Quel est le solde de mon compte?",
        "Je voudrais réserver une table pour deux personnes vendredi.",
        "Quel temps fait-il aujourd'hui à Paris?",
        "Mon numéro de commande est quatre quatre sept.",
        "Merci beaucoup pour votre aide.",
        "Je dois changer mon adresse de livraison.",
    ],
    "de": [
        "Wie hoch ist der Kontostand meines Kontos?",
        "Ich möchte einen Tisch für zwei Personen am Freitag reservieren.",
        "Wie ist das Wetter heute in Berlin?",
        "Meine Bestellnummer ist vier vier sieben.",
        "Vielen Dank für Ihre Hilfe.",
        "Ich muss meine Lieferadresse ändern.",
    ],
}
#: English voices: eSpeak NG (its default, British, a female variant), then Piper.
ESPEAK_VOICES = ("en-us", "en-gb", "en-us+f3")
OTHER_VOICES = {"es": ("es", "es+f3"), "fr": ("fr", "fr+f3"), "de": ("de", "de+f3")}
#: The tools of a sample agent, whose words prime Whisper (as a session's agent would).
SAMPLE_TOOLS = [
    ToolSpec("get_balance", "Balance of a bank account", {"account_number": {"type": "string"}}),
    ToolSpec("track_order", "Where an order is", {"order_id": {"type": "string"}}),
    ToolSpec("weather_forecast", "Weather forecast for a city", {"city": {"type": "string"}}),
]


def espeak(text: str, voice: str) -> np.ndarray:
    """``text`` spoken by the espeak-ng command, 16 kHz mono float32."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp, "raw.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
        with wave.open(str(raw)) as handle:
            rate = handle.getframerate()
            pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    audio = pcm.astype(np.float32) / 32768.0
    return resample_poly(audio, 16_000, rate).astype(np.float32) if rate != 16_000 else audio


def piper_voice() -> object | None:
    """The Piper engine (joe), or None when its packages are missing."""
    try:
        from nur_notebook.server.pipeline.tts_piper import PiperTTS

        return PiperTTS.load()
    except Exception as exc:  # the bench still runs the eSpeak voices
        print(f"(no Piper voice: {exc})")
        return None


def piper(engine: object, text: str) -> np.ndarray:
    pcm = engine.synthesize(text, voice_id="joe", language="en")  # type: ignore[attr-defined]
    audio = pcm.astype(np.float32) / 32768.0
    return resample_poly(audio, 16_000, engine.sample_rate).astype(np.float32)  # type: ignore[attr-defined]


def with_noise(audio: np.ndarray, *, snr_db: float, seed: int) -> np.ndarray:
    """``audio`` plus white noise ``snr_db`` below the speech's power (voiced part)."""
    voiced = audio[np.abs(audio) > 0.02 * np.abs(audio).max()]
    power = float(np.mean(voiced**2)) if voiced.size else float(np.mean(audio**2))
    noise = np.random.default_rng(seed).standard_normal(audio.size) * np.sqrt(
        power / 10 ** (snr_db / 10)
    )
    return np.clip(audio + noise, -1, 1).astype(np.float32)


def telephone(audio: np.ndarray) -> np.ndarray:
    """``audio`` as a phone line carries it: through 8 kHz and back (3.4 kHz wide)."""
    narrow = resample_poly(audio, 1, 2)
    return resample_poly(narrow, 2, 1).astype(np.float32)[: audio.size]


def words(text: str) -> list[str]:
    """Normalised words: lower case, no punctuation, digit words as digits, digits
    said one at a time joined into the number."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w\s]", " ", text)
    text = " ".join(
        DIGIT_WORDS.get(w, w) if w not in ("un", "una", "oh") else w for w in text.split()
    )
    return normalize_digits(text).split()


def wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words)."""
    ref = words(reference)
    return word_edits(ref, words(hypothesis)), len(ref)


def digits_right(reference: str, hypothesis: str) -> bool | None:
    """Whether the numbers of the reference all came through (None: it has none)."""
    wanted = [w for w in words(reference) if w.isdigit()]
    if not wanted:
        return None
    got = words(hypothesis)
    return all(w in got for w in wanted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--english", choices=["tiny.en", "base"], default=None)
    parser.add_argument("--beam", type=int, default=None)
    parser.add_argument("--no-hints", action="store_true", help="no tool words for Whisper")
    parser.add_argument("--quick", action="store_true", help="one voice, no multilingual")
    parser.add_argument(
        "--window",
        type=float,
        default=None,
        help="shortest Whisper encoder window in seconds (0: always the padded 30 s)",
    )
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        sys.exit("bench/speech.py needs the espeak-ng command")
    from nur_notebook.server.pipeline.stt import WhisperSTT, stt_hints

    options: dict[str, object] = {}
    if args.english:
        options["english"] = args.english
    if args.beam:
        options["beam_size"] = args.beam
    if args.window is not None:
        options["window_s"] = args.window or None
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    stt = WhisperSTT.load(multilingual=not args.quick, **options)  # type: ignore[arg-type]
    print(f"stt: {stt.description}, window {stt.window_s or 30} s", flush=True)
    hints = None if args.no_hints else stt_hints(SAMPLE_TOOLS)

    clips: list[tuple[str, str, str, np.ndarray]] = []  # (condition, language, text, audio)
    voices = ESPEAK_VOICES[:1] if args.quick else ESPEAK_VOICES
    engine = None if args.quick else piper_voice()
    for n, text in enumerate(ENGLISH):
        sources = [(v, espeak(text, v)) for v in voices]
        if engine is not None:
            sources.append(("piper", piper(engine, text)))
        for k, (voice, audio) in enumerate(sources):
            clips.append((f"en clean {voice}", "en", text, audio))
            clips.append(
                ("en noise 10 dB", "en", text, with_noise(audio, snr_db=10, seed=n * 7 + k))
            )
            clips.append(("en telephone 8 kHz", "en", text, telephone(audio)))
    if not args.quick:
        for language, sentences in OTHER.items():
            for text in sentences:
                for voice in OTHER_VOICES[language]:
                    clips.append((language, language, text, espeak(text, voice)))

    edits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    digits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    seconds: dict[str, list[float]] = defaultdict(list)
    misses: list[tuple[float, str, str, str]] = []
    for condition, language, text, audio in clips:
        started = time.perf_counter()
        heard = stt.transcribe(audio, language=language, hints=hints)
        seconds[condition].append(time.perf_counter() - started)
        e, n = wer(text, heard)
        for key in (condition, "en clean (all voices)" if condition.startswith("en clean") else ""):
            if key:
                edits[key][0] += e
                edits[key][1] += n
        ok = digits_right(text, heard)
        if ok is not None:
            digits[condition][0] += int(ok)
            digits[condition][1] += 1
        if e:
            misses.append((e / n, condition, text, heard))
    print("\n| condition              |  WER  | numbers right | s/utterance |")
    print("|------------------------|-------|---------------|-------------|")
    for condition, (e, n) in edits.items():
        right, total = digits.get(condition, [0, 0])
        secs = seconds.get(condition) or [
            x for k, v in seconds.items() if k.startswith("en clean") for x in v
        ]
        print(
            f"| {condition:<22} | {e / n:.3f} | {right:>6}/{total:<6} | {np.median(secs):>11.2f} |"
        )
    print("\nworst misses:")
    for rate, condition, text, heard in sorted(misses, reverse=True)[:15]:
        print(f"- {rate:.2f} [{condition}] {text!r} -> {heard!r}")
    print(f"decoded again in the full window: {stt.full_window_retries} of {len(clips)}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
