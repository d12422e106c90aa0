// gemm: c[M, N] = op(a)[M, K] · op(b)[K, N] (+ c when accumulate) (+ bias[n] when has_bias).
// op(a) is a (stored [M, lda]) or, with TRANS_A, aᵀ (a stored [K, lda]); likewise b with
// TRANS_B. Row `ones_row` of op(a) reads as ones, so the column sums of b come out as an extra
// row of c (the linear layer's bias gradient fused into its weight gradient).
// Register tiling: 16×16 threads, each owning TM×TN outputs, so a workgroup covers a
// (16·TM)×(16·TN) tile of c; K advances in steps of BK through workgroup memory. Every output
// sums its K products in order k = 0, 1, …, whatever the tile sizes.
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override TM: u32 = 4u;
override TN: u32 = 4u;
const BK: u32 = 16u;
const MAX_T: u32 = 64u;

struct Params {
  M: u32, N: u32, K: u32, lda: u32, ldb: u32,
  a_off: u32, b_off: u32, bias_off: u32, c_off: u32,
  ones_row: u32, accumulate: u32, has_bias: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

var<workgroup> As: array<f32, 1024>; // [BK][BM], BM = 16·TM ≤ MAX_T
var<workgroup> Bs: array<f32, 1024>; // [BK][BN], BN = 16·TN ≤ MAX_T

/** op(a)[m, k], zero outside the matrix. */
fn load_a(m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  if (m == p.ones_row) { return 1.0; }
  if (TRANS_A) { return a[p.a_off + k * p.lda + m]; }
  return a[p.a_off + m * p.lda + k];
}

/** op(b)[k, n], zero outside the matrix. */
fn load_b(k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  if (TRANS_B) { return b[p.b_off + n * p.ldb + k]; }
  return b[p.b_off + k * p.ldb + n];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let BM = 16u * TM;
  let BN = 16u * TN;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // -- stage the tiles; consecutive invocations read consecutive addresses of the stored matrix
    for (var e = li; e < BM * BK; e += 256u) {
      var mm: u32; var kk: u32;
      if (TRANS_A) { mm = e % BM; kk = e / BM; } else { kk = e % BK; mm = e / BK; }
      As[kk * BM + mm] = load_a(m0 + mm, k0 + kk);
    }
    for (var e = li; e < BN * BK; e += 256u) {
      var nn: u32; var kk: u32;
      if (TRANS_B) { kk = e % BK; nn = e / BK; } else { nn = e % BN; kk = e / BN; }
      Bs[kk * BN + nn] = load_b(k0 + kk, n0 + nn);
    }
    workgroupBarrier();
    // -- TM×TN outer products per k
    for (var kk = 0u; kk < BK; kk++) {
      var ar: array<f32, 4>;
      var br: array<f32, 4>;
      for (var i = 0u; i < TM; i++) { ar[i] = As[kk * BM + lid.y * TM + i]; }
      for (var j = 0u; j < TN; j++) { br[j] = Bs[kk * BN + lid.x * TN + j]; }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) { acc[i * TN + j] = acc[i * TN + j] + ar[i] * br[j]; }
      }
    }
    workgroupBarrier();
  }
  // -- write the tile, guarded at the edges
  for (var i = 0u; i < TM; i++) {
    let m = m0 + lid.y * TM + i;
    if (m >= p.M) { break; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + lid.x * TN + j;
      if (n >= p.N) { break; }
      var v = acc[i * TN + j];
      if (p.has_bias != 0u) { v = v + bias[p.bias_off + n]; }
      let ci = p.c_off + m * p.N + n;
      if (p.accumulate != 0u) { v = c[ci] + v; }
      c[ci] = v;
    }
  }
}
