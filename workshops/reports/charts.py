"""Chart geometry for server-rendered SVG: no charting library, no script, readable in black and white.

The functions return plain numbers; templates/reports/_charts.html draws them,
so every label passes through Jinja's escaping.
"""

from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 36
# Series are told apart by fill pattern and line dash, not by colour alone.
SERIES = ("female", "male", "unrecorded")


def nice_max(value):
    """Round an axis maximum up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def ticks(maximum, count=4):
    return [round(maximum * index / count) for index in range(count + 1)]


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = WIDTH - LEFT - RIGHT
    plot_height: int = HEIGHT - TOP - BOTTOM
    axis: list = field(default_factory=list)  # [(y, label)]
    bars: list = field(default_factory=list)  # [(series, x, y, width, height, value)]
    labels: list = field(default_factory=list)  # [(x, text)]
    lines: list = field(default_factory=list)  # [(series, "x,y x,y ...", [(x, y)])]
    empty: bool = True


def _axis(chart, maximum):
    for value in ticks(maximum):
        chart.axis.append((chart.top + chart.plot_height - chart.plot_height * value / maximum, value))


def module_bars(by_module):
    """Persons who attended each module, three bars per module: women, men, sex not recorded."""
    chart = Chart()
    maximum = nice_max(max((entry[s] for entry in by_module for s in SERIES), default=0))
    _axis(chart, maximum)
    slot = chart.plot_width / max(1, len(by_module))
    bar = slot * 0.8 / len(SERIES)
    for index, entry in enumerate(by_module):
        x0 = chart.left + index * slot + slot * 0.1
        for offset, series in enumerate(SERIES):
            value = entry[series]
            height = chart.plot_height * value / maximum
            chart.bars.append(
                (
                    series,
                    round(x0 + offset * bar, 1),
                    round(chart.top + chart.plot_height - height, 1),
                    round(bar, 1),
                    round(height, 1),
                    value,
                )
            )
            chart.empty = chart.empty and value == 0
        chart.labels.append((round(chart.left + index * slot + slot / 2, 1), str(entry["module"].number)))
    return chart


def progress_lines(months):
    """Cumulative persons reached by month: everyone, women, men."""
    chart = Chart()
    if not months:
        _axis(chart, 1)
        return chart
    chart.empty = False
    maximum = nice_max(max(total for _month, total, _women, _men in months))
    _axis(chart, maximum)
    step = chart.plot_width / max(1, len(months) - 1)
    every = max(1, len(months) // 8)  # at most about eight month labels
    for series, column in (("all", 1), ("female", 2), ("male", 3)):
        points = []
        for index, month in enumerate(months):
            x = chart.left + (index * step if len(months) > 1 else chart.plot_width / 2)
            y = chart.top + chart.plot_height - chart.plot_height * month[column] / maximum
            points.append((round(x, 1), round(y, 1)))
        chart.lines.append((series, " ".join(f"{x},{y}" for x, y in points), points))
    for index, month in enumerate(months):
        if index % every == 0 or index == len(months) - 1:
            x = chart.left + (index * step if len(months) > 1 else chart.plot_width / 2)
            chart.labels.append((round(x, 1), month[0]))
    return chart
