// Shared helpers prepended to every kernel by src/backend/kernel_registry.ts (not a kernel).
// NaN and infinity tests look at the bit pattern: WGSL lets compilers assume finite math, so
// `x != x` may be folded to false; integer tests on bitcast<u32> cannot be.

const WG: u32 = 256u;

/** True when x is a NaN. */
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

/** True when x is neither NaN nor ±Inf. */
fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

/** min(max(x, lo), hi) that returns NaN for a NaN x (WGSL's clamp need not). */
fn clamp_nan(x: f32, lo: f32, hi: f32) -> f32 {
  if (is_nan(x)) { return x; }
  return select(select(x, hi, x > hi), lo, x < lo);
}

/** exp(x) − 1 without the cancellation near 0 (Kahan's trick; accurate wherever exp and log are). */
fn expm1_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 80.0) { return exp(x); }
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * x / log(u);
}

/** tanh through expm1, accurate in relative terms near 0 and saturating cleanly at ±1. */
fn tanh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let ax = abs(x);
  if (ax > 10.0) { return sign(x); }
  let e = expm1_f(2.0 * ax);
  let t = e / (e + 2.0);
  return select(t, -t, x < 0.0);
}

/** Flat index of this invocation in a 1-D launch of WG-wide workgroups on a (x, y) grid. */
fn flat_index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}
