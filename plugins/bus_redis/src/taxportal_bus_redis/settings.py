"""The ``[bus_redis]`` configuration section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SECTION = "bus_redis"


class RedisBusSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = "redis://127.0.0.1:6379/0"
    channel: str = Field("taxportal_bus", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
