"""Feetech control tables (STS/SMS on protocol 0, SCS on protocol 1), as LeRobot uses them."""

from __future__ import annotations

from types import MappingProxyType

from .model import MotorModel, Register, Vendor
from .model import eeprom as _eeprom
from .model import status as _status

R = Register


# Identity, limits and gains: the same addresses on STS/SMS and SCS.
_COMMON = {
    "Firmware_Major_Version": _status(0, 1),
    "Firmware_Minor_Version": _status(1, 1),
    "Model_Number": _status(3, 2),
    "ID": _eeprom(5, 1),
    "Baud_Rate": _eeprom(6, 1),
    "Return_Delay_Time": _eeprom(7, 1),
    "Response_Status_Level": _eeprom(8, 1),
    "Min_Position_Limit": _eeprom(9, 2),
    "Max_Position_Limit": _eeprom(11, 2),
    "Max_Temperature_Limit": _eeprom(13, 1),
    "Max_Voltage_Limit": _eeprom(14, 1),
    "Min_Voltage_Limit": _eeprom(15, 1),
    "Max_Torque_Limit": _eeprom(16, 2),
    "Phase": _eeprom(18, 1),
    "Unloading_Condition": _eeprom(19, 1),
    "LED_Alarm_Condition": _eeprom(20, 1),
    "P_Coefficient": _eeprom(21, 1),
    "D_Coefficient": _eeprom(22, 1),
    "I_Coefficient": _eeprom(23, 1),
    "Minimum_Startup_Force": _eeprom(24, 2),
    "CW_Dead_Zone": _eeprom(26, 1),
    "CCW_Dead_Zone": _eeprom(27, 1),
}

STS_SMS_TABLE = MappingProxyType({
    **_COMMON,
    "Protection_Current": _eeprom(28, 2),
    "Angular_Resolution": _eeprom(30, 1),
    "Homing_Offset": _eeprom(31, 2, sign_bit=11),
    "Operating_Mode": _eeprom(33, 1),
    "Protective_Torque": _eeprom(34, 1),
    "Protection_Time": _eeprom(35, 1),
    "Overload_Torque": _eeprom(36, 1),
    "Velocity_closed_loop_P_proportional_coefficient": _eeprom(37, 1),
    "Over_Current_Protection_Time": _eeprom(38, 1),
    "Velocity_closed_loop_I_integral_coefficient": _eeprom(39, 1),
    "Torque_Enable": R(40, 1),
    "Acceleration": R(41, 1),
    "Goal_Position": R(42, 2, sign_bit=15),
    "Goal_Time": R(44, 2),
    "Goal_Velocity": R(46, 2, sign_bit=15),
    "Torque_Limit": R(48, 2),
    "Lock": R(55, 1),
    "Present_Position": _status(56, 2, sign_bit=15),
    "Present_Velocity": _status(58, 2, sign_bit=15),
    "Present_Load": _status(60, 2, sign_bit=10),
    "Present_Voltage": _status(62, 1),
    "Present_Temperature": _status(63, 1),
    "Status": _status(65, 1),
    "Moving": _status(66, 1),
    "Present_Current": _status(69, 2),
    "Maximum_Acceleration": R(85, 1),
})

# SCS series (protocol 1): no Homing_Offset, Lock at 48, Protective_Torque at 37.
SCS_TABLE = MappingProxyType({
    **_COMMON,
    "Protective_Torque": _eeprom(37, 1),
    "Protection_Time": _eeprom(38, 1),
    "Torque_Enable": R(40, 1),
    "Acceleration": R(41, 1),
    "Goal_Position": R(42, 2),
    "Running_Time": R(44, 2),
    "Goal_Velocity": R(46, 2),
    "Lock": R(48, 1),
    "Present_Position": _status(56, 2),
    "Present_Velocity": _status(58, 2),
    "Present_Load": _status(60, 2),
    "Present_Voltage": _status(62, 1),
    "Present_Temperature": _status(63, 1),
    "Sync_Write_Flag": _status(64, 1),
    "Status": _status(65, 1),
    "Moving": _status(66, 1),
})

BAUDRATES = MappingProxyType({
    1_000_000: 0, 500_000: 1, 250_000: 2, 128_000: 3, 115_200: 4, 57_600: 5, 38_400: 6, 19_200: 7,
})

OPERATING_MODES = MappingProxyType({"position": 0, "velocity": 1, "pwm": 2, "step": 3})

# Factory values the simulator starts from (a new servo out of the box).
_STS_DEFAULTS = MappingProxyType({
    "Baud_Rate": 0, "Return_Delay_Time": 250, "Response_Status_Level": 1, "Min_Position_Limit": 0,
    "Max_Position_Limit": 4095, "Max_Temperature_Limit": 70, "Max_Voltage_Limit": 140,
    "Min_Voltage_Limit": 40, "Max_Torque_Limit": 1000, "Phase": 0x0C | 0x10, "Unloading_Condition": 44,
    "LED_Alarm_Condition": 47, "P_Coefficient": 32, "D_Coefficient": 32, "I_Coefficient": 0,
    "Minimum_Startup_Force": 16, "CW_Dead_Zone": 1, "CCW_Dead_Zone": 1, "Protection_Current": 500,
    "Angular_Resolution": 1, "Homing_Offset": 0, "Operating_Mode": 0, "Protective_Torque": 20,
    "Protection_Time": 200, "Overload_Torque": 80, "Torque_Limit": 1000, "Lock": 1,
    "Maximum_Acceleration": 150, "Acceleration": 0, "Present_Voltage": 120, "Present_Temperature": 28,
    "Firmware_Major_Version": 3, "Firmware_Minor_Version": 10,
})
_SCS_DEFAULTS = MappingProxyType({
    "Baud_Rate": 0, "Return_Delay_Time": 0, "Response_Status_Level": 1, "Min_Position_Limit": 0,
    "Max_Position_Limit": 1023, "Max_Temperature_Limit": 70, "Max_Voltage_Limit": 90,
    "Min_Voltage_Limit": 40, "Max_Torque_Limit": 1000, "P_Coefficient": 15, "Lock": 1,
    "Present_Voltage": 50, "Present_Temperature": 28, "Firmware_Major_Version": 1,
})


def _sts(name: str, model_number: int) -> MotorModel:
    return MotorModel(name, Vendor.FEETECH, model_number, protocol=0, resolution=4096,
                      registers=STS_SMS_TABLE, baudrates=BAUDRATES, operating_modes=OPERATING_MODES,
                      defaults=_STS_DEFAULTS)


MODELS: dict[str, MotorModel] = {
    "sts3215": _sts("sts3215", 777),
    "sts3250": _sts("sts3250", 2825),
    "sm8512bl": _sts("sm8512bl", 11272),
    "scs0009": MotorModel("scs0009", Vendor.FEETECH, 1284, protocol=1, resolution=1024,
                          registers=SCS_TABLE, baudrates=BAUDRATES,
                          operating_modes=MappingProxyType({"position": 0}), defaults=_SCS_DEFAULTS),
}

# Status-packet error bits (Feetech protocol; same bit positions in the SDK's ERRBIT_* constants).
ERROR_BITS = MappingProxyType({
    0x01: "input voltage", 0x02: "angle sensor", 0x04: "overheat", 0x08: "overcurrent", 0x20: "overload",
})
