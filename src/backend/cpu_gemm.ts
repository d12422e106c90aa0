/**
 * The CPU backend's one hot loop: c[M, N] (+)= a[M, K] · b[K, N] over row-major Float32Arrays.
 * Every linear-layer op reduces to it (the transposes it needs are O(M·K) or O(K·N), cheap
 * next to the O(M·K·N) product). The loops run in i-k-j order so the innermost loop walks
 * rows of `b` and `c` contiguously, and are register-blocked 4 rows of `c` × 4 rows of `b`:
 * each pass over a row of `b` feeds four output rows and each output element is loaded and
 * stored once per four products. On the 2-core development machine (AMD EPYC, Node 20) that is
 * ~4.5 GFLOP/s on 256×64·64×64 against ~1.1 for the plain triple loop (see docs/backend.md).
 *
 * `gemmBlock` computes any rectangle of c with the same loops, so a product split into row or
 * column ranges (the thread pool, `cpu_pool.ts`) sums every element of c in the same order as
 * the whole product: the result is bitwise the same however it is split.
 */

/**
 * c = a·b, or c += a·b when `accumulate`. a is [m, k], b is [k, n], c is [m, n]; none may
 * alias another.
 */
export function gemm(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean): void {
  gemmBlock(a, b, c, k, n, 0, m, 0, n, accumulate);
}

/**
 * The rectangle rows [i0, i1) × columns [j0, j1) of `gemm(a, b, c, m, k, n, accumulate)`:
 * c[i, j] (+)= Σ_p a[i, p]·b[p, j] there, nothing written elsewhere. Each element is summed
 * exactly as in the whole product (rows in blocks of four from i0, which changes nothing:
 * a lone row groups its products like a block does).
 */
export function gemmBlock(a: Float32Array, b: Float32Array, c: Float32Array, k: number, n: number, i0: number, i1: number, j0: number, j1: number, accumulate: boolean): void {
  if (!accumulate) {
    if (j0 === 0 && j1 === n) c.fill(0, i0 * n, i1 * n);
    else for (let i = i0; i < i1; i++) c.fill(0, i * n + j0, i * n + j1);
  }
  let i = i0;
  for (; i + 4 <= i1; i += 4) gemmRows4(a, b, c, i, k, n, j0, j1);
  for (; i < i1; i++) gemmRow(a, b, c, i, k, n, j0, j1);
}

/** c[i..i+3, j0..j1) += a[i..i+3, :] · b[:, j0..j1). */
function gemmRows4(a: Float32Array, b: Float32Array, c: Float32Array, i: number, k: number, n: number, j0: number, j1: number): void {
  const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
  const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
  let p = 0;
  for (; p + 4 <= k; p += 4) {
    const x00 = a[a0 + p]!, x01 = a[a0 + p + 1]!, x02 = a[a0 + p + 2]!, x03 = a[a0 + p + 3]!;
    const x10 = a[a1 + p]!, x11 = a[a1 + p + 1]!, x12 = a[a1 + p + 2]!, x13 = a[a1 + p + 3]!;
    const x20 = a[a2 + p]!, x21 = a[a2 + p + 1]!, x22 = a[a2 + p + 2]!, x23 = a[a2 + p + 3]!;
    const x30 = a[a3 + p]!, x31 = a[a3 + p + 1]!, x32 = a[a3 + p + 2]!, x33 = a[a3 + p + 3]!;
    const b0 = p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let j = j0; j < j1; j++) {
      const v0 = b[b0 + j]!, v1 = b[b1 + j]!, v2 = b[b2 + j]!, v3 = b[b3 + j]!;
      c[c0 + j] = c[c0 + j]! + (x00 * v0 + x01 * v1 + x02 * v2 + x03 * v3);
      c[c1 + j] = c[c1 + j]! + (x10 * v0 + x11 * v1 + x12 * v2 + x13 * v3);
      c[c2 + j] = c[c2 + j]! + (x20 * v0 + x21 * v1 + x22 * v2 + x23 * v3);
      c[c3 + j] = c[c3 + j]! + (x30 * v0 + x31 * v1 + x32 * v2 + x33 * v3);
    }
  }
  for (; p < k; p++) {
    const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
    const bp = p * n;
    for (let j = j0; j < j1; j++) {
      const v = b[bp + j]!;
      c[c0 + j] = c[c0 + j]! + x0 * v;
      c[c1 + j] = c[c1 + j]! + x1 * v;
      c[c2 + j] = c[c2 + j]! + x2 * v;
      c[c3 + j] = c[c3 + j]! + x3 * v;
    }
  }
}

/**
 * c[i, j0..j1) += a[i, :] · b[:, j0..j1) for the rows left over after the blocks of four, with
 * the same grouping of products as `gemmRows4`, so a row's result never depends on where it sits.
 */
function gemmRow(a: Float32Array, b: Float32Array, c: Float32Array, i: number, k: number, n: number, j0: number, j1: number): void {
  const ci = i * n, ai = i * k;
  let p = 0;
  for (; p + 4 <= k; p += 4) {
    const x0 = a[ai + p]!, x1 = a[ai + p + 1]!, x2 = a[ai + p + 2]!, x3 = a[ai + p + 3]!;
    const b0 = p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let j = j0; j < j1; j++) c[ci + j] = c[ci + j]! + (x0 * b[b0 + j]! + x1 * b[b1 + j]! + x2 * b[b2 + j]! + x3 * b[b3 + j]!);
  }
  for (; p < k; p++) {
    const x = a[ai + p]!, bp = p * n;
    for (let j = j0; j < j1; j++) c[ci + j] = c[ci + j]! + x * b[bp + j]!;
  }
}

/** out[n, m] = inᵀ for in[m, n]. */
export function transpose(src: Float32Array, out: Float32Array, m: number, n: number): void {
  transposeBlock(src, out, m, n, 0, n);
}

/** Rows [j0, j1) of out[n, m] = inᵀ for in[m, n] (columns j0..j1 of in). */
export function transposeBlock(src: Float32Array, out: Float32Array, m: number, n: number, j0: number, j1: number): void {
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let j = j0; j < j1; j++) out[j * m + i] = src[row + j]!;
  }
}
