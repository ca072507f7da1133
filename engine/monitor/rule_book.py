"""The rules' settings in the running engine, and the command that changes them."""

from __future__ import annotations

from collections.abc import Callable

from engine.clock import now_ms
from engine.commands import Reply
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.monitor.commands import SaveAlertRule
from engine.monitor.records import save_rule
from engine.monitor.rules import RULES, RuleSettings, RuleSettingsError, checked_settings


class RuleBook:
    def __init__(
        self,
        ctx: EngineContext,
        settings: dict[str, RuleSettings],
        on_switched_off: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self._ctx = ctx
        self._on_switched_off = on_switched_off
        ctx.register_handler(SaveAlertRule, self._on_save)

    async def _on_save(self, command: SaveAlertRule) -> Reply:
        try:
            settings = checked_settings(
                command.rule, command.enabled, command.severity, command.params
            )
        except RuleSettingsError as exc:
            return Reply(
                command_id=command.command_id, ok=False, code="desk.bad_rule", message=str(exc)
            )
        await self._ctx.store.write(lambda con: save_rule(con, settings, command.actor, now_ms()))
        was_on = self.settings[settings.rule].enabled
        self.settings[settings.rule] = settings
        if was_on and not settings.enabled:
            self._on_switched_off(settings.rule)
        title = RULES[settings.rule].title
        state = "on" if settings.enabled else "off"
        self._ctx.record(
            Level.INFO,
            EventKind.ALERT_SETTINGS,
            f"{command.actor} set the alert rule {title}: {state}, "
            f"{settings.severity}, {_params(settings)}.",
            {"actor": command.actor, "rule": settings.rule},
        )
        return Reply(command_id=command.command_id, ok=True, message=f"{title}: saved ({state}).")


def _params(settings: RuleSettings) -> str:
    units = RULES[settings.rule].params
    return ", ".join(f"{k} {v:g} {units[k].unit}" for k, v in settings.params.items()) or "-"
