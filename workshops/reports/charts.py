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


def _month_number(label):
    """'2026-03' as a count of months, so the x axis spaces months by the time between them."""
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def progress_lines(months):
    """Cumulative persons reached by month: everyone, women, men, on a real time axis.

    Months with no one new are not in `months`; their place on the axis is kept, so a
    gap of half a year looks like one. Labels (at most about eight, the last always) are
    (x, text, anchor): the first starts at its point and the last ends there, inside the chart.
    """
    chart = Chart()
    if not months:
        _axis(chart, 1)
        return chart
    chart.empty = False
    maximum = nice_max(max(total for _month, total, _women, _men in months))
    _axis(chart, maximum)
    first, last = _month_number(months[0][0]), _month_number(months[-1][0])
    span = max(1, last - first)

    def x_of(label):
        if first == last:
            return chart.left + chart.plot_width / 2
        return chart.left + chart.plot_width * (_month_number(label) - first) / span

    for series, column in (("all", 1), ("female", 2), ("male", 3)):
        points = [
            (
                round(x_of(month[0]), 1),
                round(chart.top + chart.plot_height * (1 - month[column] / maximum), 1),
            )
            for month in months
        ]
        chart.lines.append((series, " ".join(f"{x},{y}" for x, y in points), points))
    every = max(1, -(-(span + 1) // 8))  # a label every `every` months of the axis
    for offset in range(0, span + 1, every):
        number = first + offset
        if last - number < every / 2 and number != last:
            continue  # too close to the last label, which is always shown
        chart.labels.append(_time_label(chart, x_of, number, first, last))
    if not chart.labels or chart.labels[-1][1] != months[-1][0]:
        chart.labels.append(_time_label(chart, x_of, last, first, last))
    return chart


def _time_label(chart, x_of, number, first, last):
    text = f"{number // 12}-{number % 12 + 1:02d}"
    anchor = (
        "middle" if first == last else "start" if number == first else "end" if number == last else "middle"
    )
    return (round(x_of(text), 1), text, anchor)
