"""Plots for docs/performance.md with gnuplot (scripts/setup installs
gnuplot-nox): one PNG per series set, lines with points, log x where the
x values span decades."""
import os
import shutil
import subprocess
import tempfile


def line_plot(path, title, xlabel, ylabel, series, logx=False):
    """series: [(name, [(x, y), ...])]. Writes path (PNG); returns path, or
    None when gnuplot is missing (the figures are printed anyway)."""
    if shutil.which('gnuplot') is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        plots = []
        for i, (name, pts) in enumerate(series):
            dat = os.path.join(d, '%d.dat' % i)
            with open(dat, 'w') as f:
                for x, y in pts:
                    f.write('%r %r\n' % (x, y))
            plots.append('"%s" using 1:2 with linespoints lw 2 pt 7 title "%s"' % (dat, name))
        script = '\n'.join([
            'set terminal pngcairo size 900,540 font "sans,11" noenhanced',
            'set output "%s"' % path,
            'set title "%s"' % title,
            'set xlabel "%s"' % xlabel,
            'set ylabel "%s"' % ylabel,
            'set grid',
            'set key below',
            'set yrange [0:*]',
            'set logscale x' if logx else 'unset logscale x',
            'plot ' + ', '.join(plots),
        ]) + '\n'
        subprocess.run(['gnuplot'], input=script, text=True, check=True)
    return path
