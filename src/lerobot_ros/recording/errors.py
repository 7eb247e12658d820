"""The recording core's errors, in a module of their own below every other recording module, so the
modules that raise them (config and live_language, recording_session and preflight) need not import
each other both ways."""


class RecordingConfigError(ValueError):
    """The config cannot be recorded; the message names the feature and the fix."""


class SessionError(RuntimeError):
    """An episode command that the present state does not allow; the text says what to do."""
