"""What an operator sees while a build runs: our own log lines, one per event, and nothing else.

`progress_logger` is a Dagster logger that prints the messages the pipeline's code logs
(`context.log.info("batch 3/50 staged")`, a crawl summary, a refused manifest entry) as
`HH:MM:SS step: message` on stderr, and leaves out Dagster's own event records (step
started, output handled, ...). A failed step is one line naming the step and the error's
first line; the full trace is for `--debug` (Dagster's console logger).
"""

from __future__ import annotations

import logging
import sys
import time

import dagster as dg
from dagster._core.log_manager import get_log_record_metadata, has_log_record_metadata

PROGRESS_LOGGER = "bgfunds_progress"


def first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def error_line(error) -> str:
    """`Class: first line of the message` of a Dagster SerializableErrorInfo (its message
    repeats the qualified class name: `sources.recorded.RecordingError: ...`)."""
    message = first_line(error.message)
    for prefix in (f"{error.cls_name}: ",):
        head, sep, rest = message.partition(prefix)
        if sep and (not head or head.endswith(".")):
            message = rest
            break
    return f"{error.cls_name}: {message}"


def innermost(error):
    """The user's error inside Dagster's wrappers."""
    while (
        error is not None
        and error.cause is not None
        and error.cls_name
        in ("DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError")
    ):
        error = error.cause
    return error


class _OurMessages(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not has_log_record_metadata(record):
            return True
        meta = get_log_record_metadata(record)
        event = meta.get("dagster_event")
        step = meta.get("step_key") or "run"
        if event is None:
            if record.levelno < logging.INFO:
                return False
            record.bgfunds_line = f"{step}: {meta.get('orig_message', record.getMessage())}"
            return True
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = innermost(event.step_failure_data.error)
            what = error_line(error) if error else first_line(event.message or "")
            record.bgfunds_line = f"{step}: FAILED: {what}"
            return True
        if event.event_type == dg.DagsterEventType.STEP_START:
            record.bgfunds_line = f"{step}: started"
            return True
        return False


class _Format(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        return f"{stamp} {getattr(record, 'bgfunds_line', record.getMessage())}"


@dg.logger(
    config_schema={"log_level": dg.Field(str, is_required=False, default_value="INFO")},
    description="One line per message of the pipeline's code and per failed step, on stderr.",
)
def progress_logger(init_context) -> logging.Logger:
    level = logging.getLevelName(init_context.logger_config["log_level"].upper())
    logger = logging.Logger(
        PROGRESS_LOGGER, level=min(level, logging.DEBUG)
    )  # Dagster logs step starts at DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_OurMessages())
    handler.setFormatter(_Format())
    logger.addHandler(handler)
    return logger
