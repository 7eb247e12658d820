"""Dynamixel X-series control table (protocol 2.0), as LeRobot uses it."""

from __future__ import annotations

from types import MappingProxyType

from .model import MotorModel, Register, Vendor
from .model import eeprom as _eeprom
from .model import status as _status

R = Register


X_SERIES_TABLE = MappingProxyType({
    "Model_Number": _status(0, 2),
    "Model_Information": _status(2, 4),
    "Firmware_Version": _status(6, 1),
    "ID": _eeprom(7, 1),
    "Baud_Rate": _eeprom(8, 1),
    "Return_Delay_Time": _eeprom(9, 1),
    "Drive_Mode": _eeprom(10, 1),
    "Operating_Mode": _eeprom(11, 1),
    "Secondary_ID": _eeprom(12, 1),
    "Protocol_Type": _eeprom(13, 1),
    "Homing_Offset": _eeprom(20, 4, signed=True),
    "Moving_Threshold": _eeprom(24, 4),
    "Temperature_Limit": _eeprom(31, 1),
    "Max_Voltage_Limit": _eeprom(32, 2),
    "Min_Voltage_Limit": _eeprom(34, 2),
    "PWM_Limit": _eeprom(36, 2),
    "Current_Limit": _eeprom(38, 2),
    "Acceleration_Limit": _eeprom(40, 4),
    "Velocity_Limit": _eeprom(44, 4),
    "Max_Position_Limit": _eeprom(48, 4),
    "Min_Position_Limit": _eeprom(52, 4),
    "Shutdown": _eeprom(63, 1),
    "Torque_Enable": R(64, 1),
    "LED": R(65, 1),
    "Status_Return_Level": R(68, 1),
    "Registered_Instruction": _status(69, 1),
    "Hardware_Error_Status": _status(70, 1),
    "Velocity_I_Gain": R(76, 2),
    "Velocity_P_Gain": R(78, 2),
    "Position_D_Gain": R(80, 2),
    "Position_I_Gain": R(82, 2),
    "Position_P_Gain": R(84, 2),
    "Feedforward_2nd_Gain": R(88, 2),
    "Feedforward_1st_Gain": R(90, 2),
    "Bus_Watchdog": R(98, 1),
    "Goal_PWM": R(100, 2, signed=True),
    "Goal_Current": R(102, 2, signed=True),
    "Goal_Velocity": R(104, 4, signed=True),
    "Profile_Acceleration": R(108, 4),
    "Profile_Velocity": R(112, 4),
    "Goal_Position": R(116, 4, signed=True),
    "Realtime_Tick": _status(120, 2),
    "Moving": _status(122, 1),
    "Moving_Status": _status(123, 1),
    "Present_PWM": _status(124, 2, signed=True),
    "Present_Current": _status(126, 2, signed=True),
    "Present_Velocity": _status(128, 4, signed=True),
    "Present_Position": _status(132, 4, signed=True),
    "Velocity_Trajectory": _status(136, 4, signed=True),
    "Position_Trajectory": _status(140, 4, signed=True),
    "Present_Input_Voltage": _status(144, 2),
    "Present_Temperature": _status(146, 1),
})

BAUDRATES = MappingProxyType({
    9_600: 0, 57_600: 1, 115_200: 2, 1_000_000: 3, 2_000_000: 4, 3_000_000: 5, 4_000_000: 6,
})

OPERATING_MODES = MappingProxyType({
    "current": 0, "velocity": 1, "position": 3, "extended_position": 4, "current_position": 5, "pwm": 16,
})
# The XL430 has no current sensing: velocity, position, extended position and PWM only.
XL430_OPERATING_MODES = MappingProxyType({
    "velocity": 1, "position": 3, "extended_position": 4, "pwm": 16,
})

_X_DEFAULTS = MappingProxyType({
    "Baud_Rate": 1, "Return_Delay_Time": 250, "Drive_Mode": 0, "Operating_Mode": 3, "Protocol_Type": 2,
    "Homing_Offset": 0, "Moving_Threshold": 10, "Temperature_Limit": 70, "Max_Voltage_Limit": 70,
    "Min_Voltage_Limit": 35, "PWM_Limit": 885, "Current_Limit": 1750, "Acceleration_Limit": 32767,
    "Velocity_Limit": 445, "Max_Position_Limit": 4095, "Min_Position_Limit": 0, "Shutdown": 52,
    "Status_Return_Level": 2, "Velocity_I_Gain": 1000, "Velocity_P_Gain": 100, "Position_D_Gain": 0,
    "Position_I_Gain": 0, "Position_P_Gain": 800, "Present_Input_Voltage": 50, "Present_Temperature": 28,
    "Firmware_Version": 46,
})


def _x(name: str, model_number: int, modes=OPERATING_MODES) -> MotorModel:
    return MotorModel(name, Vendor.DYNAMIXEL, model_number, protocol=2, resolution=4096,
                      registers=X_SERIES_TABLE, baudrates=BAUDRATES, operating_modes=modes,
                      defaults=_X_DEFAULTS)


MODELS: dict[str, MotorModel] = {
    "xl330-m077": _x("xl330-m077", 1190),
    "xl330-m288": _x("xl330-m288", 1200),
    "xl430-w250": _x("xl430-w250", 1060, XL430_OPERATING_MODES),
    "xm430-w350": _x("xm430-w350", 1020),
}

# Hardware_Error_Status bits (protocol 2.0 status packets carry bit 7 "alert" when any is set).
HARDWARE_ERROR_BITS = MappingProxyType({
    0x01: "input voltage", 0x04: "overheating", 0x08: "motor encoder", 0x10: "electrical shock",
    0x20: "overload",
})
