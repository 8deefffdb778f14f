"""The offline voice pipeline of the local server: VAD -> STT -> brain -> TTS.

``base.py`` holds the interfaces, ``registry.load_engines`` loads the engines once per
server, ``weights.py`` finds and verifies every packaged model. Engines:
``vad`` (Silero, WebRTC), ``stt`` (faster-whisper), ``brain_llama`` (local GGUF) and
``brain_openai`` (any OpenAI-compatible endpoint) over the shared reply format in
``decision``, ``tts_piper``/``tts_espeak`` behind ``tts_router``; ``text`` splits
sentences for streaming speech and joins spoken digits.
"""
