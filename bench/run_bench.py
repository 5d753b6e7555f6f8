"""scripts/bench: srtpgw's benchmark figures, each with its ratio, measured
side by side in one run (docs/performance.md). Never a test: it prints
figures, it does not fail on speed. Exits non-zero only when a benchmark
could not run at all.

  scripts/bench [--smoke] [--only 1,4] [--json FILE] [--plot DIR] [--build DIR]
"""
import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import figures  # noqa: E402
from plot import line_plot  # noqa: E402


def machine():
    cpu = 'unknown'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return {'cpus': os.cpu_count(), 'cpu': cpu, 'kernel': platform.release(),
            'load_before': os.getloadavg()}


def main(argv=None):
    p = argparse.ArgumentParser(prog='scripts/bench', description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--smoke', action='store_true',
                   help='seconds, not minutes: every figure once with tiny sizes (CI runs this so '
                        'the benchmarks do not rot; its numbers mean nothing)')
    p.add_argument('--only', default='', help='comma-separated figure numbers (default: all)')
    p.add_argument('--json', help='write every figure and ratio here')
    p.add_argument('--plot', help='write the plots (PNG) into this directory')
    p.add_argument('--build', default=os.path.join(os.path.dirname(HERE), 'build'),
                   help='build directory (default: build/)')
    a = p.parse_args(argv)
    only = {int(x) for x in a.only.split(',') if x.strip()} if a.only else set(figures.ALL)
    bad = only - set(figures.ALL)
    if bad:
        p.error('no figure %s (there are %s)' % (', '.join(map(str, sorted(bad))),
                                                 ', '.join(map(str, figures.ALL))))
    env = figures.Env(os.path.abspath(a.build), a.smoke)
    report = {'date': time.strftime('%Y-%m-%d %H:%M:%S %Z'), 'machine': machine(),
              'command': ' '.join(['scripts/bench'] + (argv if argv is not None else sys.argv[1:])),
              'smoke': a.smoke, 'figures': {}}
    m = report['machine']
    print('srtpgw benchmarks %s on %d x %s, kernel %s (load before %.1f)%s' % (
        report['date'], m['cpus'], m['cpu'], m['kernel'], m['load_before'][0],
        ' -- SMOKE RUN, numbers mean nothing' if a.smoke else ''), flush=True)
    failed = []
    for n in sorted(only):
        fn = figures.ALL[n]
        print('\n== %d. %s' % (n, fn.__doc__.strip().split('\n')[0]), flush=True)
        try:
            res = fn(env)
        except figures.Skip as e:
            print('   skipped: %s' % e)
            report['figures'][n] = {'skipped': str(e)}
            continue
        except Exception as e:  # a benchmark that cannot run is reported, the others go on
            import traceback
            traceback.print_exc()
            failed.append(n)
            report['figures'][n] = {'error': str(e)}
            continue
        for line in res.get('lines', []):
            print('   ' + line)
        report['figures'][n] = res
        env.results[n] = res
    if a.plot:
        os.makedirs(a.plot, exist_ok=True)
        for name, spec in figures.plots(report['figures']).items():
            out = line_plot(os.path.join(a.plot, name + '.png'), **spec)
            if out:
                print('plot: %s' % out)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(report, f, indent=1)
    if failed:
        print('\nbench: figure(s) %s could not run' % ', '.join(map(str, failed)), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
