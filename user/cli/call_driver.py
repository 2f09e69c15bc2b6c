# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `uscope call`'s driver, run under `uscope run` in the chosen python3. The
# build embeds it in uscope (call_driver.h); see cmd_call.c for what it writes.
import ast, importlib, inspect, signal, sys
info_path, timeout, target, kwargs_text = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
raw_args = sys.argv[5:]
sys.stdout = sys.stderr
def literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
def keywords(text):
    if not text:
        return {}
    call = ast.parse('f(' + text + ')', mode='eval').body
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords}
def resolve(path):
    parts = path.split('.')
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module('.'.join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError('no module in ' + repr(path))
with open(info_path, 'w') as info:
    try:
        func = resolve(target)
        args, kwargs = [literal(a) for a in raw_args], keywords(kwargs_text)
        code = getattr(inspect.unwrap(func), '__code__', None)
        if code is None:
            raise TypeError(target + ' is not a Python function (a builtin or a class?)')
        info.write('code %s\nline %d\n' % (code.co_filename, code.co_firstlineno))
        shown = [('arg%d' % i, a) for i, a in enumerate(args)] + list(kwargs.items())
        bind_error = None
        try:
            bound = inspect.signature(func).bind(*args, **kwargs)
            bound.apply_defaults()
            shown = bound.arguments.items()
        except TypeError as e:
            bind_error = e
        except ValueError:
            pass
        for name, value in shown:
            info.write('arg %s=%s\n' % (name, repr(value)[:200].replace('\n', ' ')))
        if bind_error is not None:
            info.write('raised TypeError: %s\n' % str(bind_error).replace('\n', ' '))
            sys.exit(1)
    except Exception as e:
        info.write('error %s: %s\n' % (type(e).__name__, str(e).replace('\n', ' ')))
        sys.exit(2)
class CallTimeout(BaseException):
    """uscope call --timeout: raised in the call when its time is up."""
def time_is_up(signum, frame):
    raise CallTimeout('uscope call --timeout %g s' % timeout)
if timeout > 0:
    signal.signal(signal.SIGALRM, time_is_up)
    signal.setitimer(signal.ITIMER_REAL, timeout)
try:
    result = func(*args, **kwargs)
    if inspect.isgenerator(result):
        with open(info_path, 'a') as info:
            info.write('yields %d\n' % sum(1 for _ in result))
    elif inspect.iscoroutine(result):
        import asyncio
        asyncio.run(result)
except CallTimeout:
    with open(info_path, 'a') as info:
        info.write('timeout\n')
    sys.exit(1)
except BaseException:
    sys.exit(1)
