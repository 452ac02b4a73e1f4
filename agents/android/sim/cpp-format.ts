/** Number formatting exactly as C++ iostreams print doubles, so the stand-in tool's output matches. */

/** `std::cout << x` with the default precision 6 (like printf %g: 9.5e-05, 0.0808129, 1.5e+06). */
export function cppDouble(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const [mantissa, expText] = x.toExponential(5).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const sign = exp < 0 ? '-' : '+';
    return `${m}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, 5 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** `std::to_string(x)`: printf %f, six decimals. */
export function cppToString(x: number): string {
  return x.toFixed(6);
}
