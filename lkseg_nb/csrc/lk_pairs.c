/* lkseg_nb native CPU kernels for sparse convolution over a kernel map (pairs grouped by kernel offset),
   and the submanifold neighbour search that builds such maps.
   Single-threaded; the caller splits the work over threads. float32 / int64, row-major, contiguous. */
#include <stdint.h>
#include <string.h>
typedef float v8 __attribute__((vector_size(32)));
static inline v8 ld(const float* p) { v8 v; memcpy(&v, p, 32); return v; }
static inline void st(float* p, v8 v) { memcpy(p, &v, 32); }
static inline v8 bc(float s) { return (v8){s, s, s, s, s, s, s, s}; }
#define AI static inline __attribute__((always_inline))
/* Software prefetch of the rows PFD pairs ahead. An offset's pairs gather input rows and scatter-add output rows all
   over feature arrays of tens of MB (beyond the caches) at addresses the hardware prefetcher cannot guess; asking
   for them a few tiles early hides that latency (distances from 6 to 48 all help; build with -DPFD=0 to turn it off). */
#ifndef PFD
#define PFD 16
#endif
#define PF(ptr, bytes, rw) if (PFD > 0) { const char* pf_ = (const char*)(ptr); \
  for (int64_t z_ = 0; z_ < (int64_t)(bytes); z_ += 64) __builtin_prefetch(pf_ + z_, rw, 3); }

/* One register tile: PB pairs x CB vectors of 8 output columns. o[q] += x[q] @ W[:, block] for q < PB.
   W points at the block's first column of a [ci, co] row-major matrix; every weight vector is loaded once per
   input channel and used by all PB pairs (PB*CB independent accumulators hide the multiply-add latency). */
AI void tile(const float* const* xr, float* const* o, const float* W, int64_t ci, int64_t co, const int PB, const int CB) {
  v8 acc[8][4];
  _Pragma("GCC unroll 8") for (int q = 0; q < PB; ++q) _Pragma("GCC unroll 4") for (int j = 0; j < CB; ++j) acc[q][j] = ld(o[q] + 8 * j);
  for (int64_t c = 0; c < ci; ++c) {
    const float* wr = W + c * co; v8 wv[4];
    _Pragma("GCC unroll 4") for (int j = 0; j < CB; ++j) wv[j] = ld(wr + 8 * j);
    _Pragma("GCC unroll 8") for (int q = 0; q < PB; ++q) { const v8 u = bc(xr[q][c]);
      _Pragma("GCC unroll 4") for (int j = 0; j < CB; ++j) acc[q][j] += u * wv[j]; }
  }
  _Pragma("GCC unroll 8") for (int q = 0; q < PB; ++q) _Pragma("GCC unroll 4") for (int j = 0; j < CB; ++j) st(o[q] + 8 * j, acc[q][j]);
}

/* Outputs of 32..64 columns: tiles of 6 pairs x 16 columns (12 accumulators + 2 weight vectors + 1 broadcast fit
   the 16 AVX2 registers), the columns in blocks of 16 (+ one block of 8). Pairs with a repeated output row inside a
   tile (never the case for maps built here: an offset pairs each output with at most one input) and the last < 6
   pairs of an offset run one by one. */
#define PB 6
AI void cols(const float* const* xr, float* const* o, const float* W, int64_t ci, int64_t co, const int P) {
  float* oj[PB]; int64_t j0 = 0;
  for (; j0 + 16 <= co; j0 += 16) { _Pragma("GCC unroll 8") for (int q = 0; q < P; ++q) oj[q] = o[q] + j0; tile(xr, oj, W + j0, ci, co, P, 2); }
  if (j0 < co) { _Pragma("GCC unroll 8") for (int q = 0; q < P; ++q) oj[q] = o[q] + j0; tile(xr, oj, W + j0, ci, co, P, 1); }
}

/* The pairs [p, end) of one offset, W its weights: out[dst[p]] += x[src[p]] @ W, in tiles of PB pairs; the last < PB
   pairs of the range make one smaller tile (a short range - one row block's share of an offset - is not run pair by pair). */
AI void tiles_range(const float* x, const float* W, const int64_t* src, const int64_t* dst, int64_t p, int64_t end,
                    int64_t ci, int64_t co, float* out) {
  for (; p < end; p += PB) {
    const int n = end - p < PB ? (int)(end - p) : PB;
    const float* xr[PB]; float* o[PB]; int dup = 0;
    for (int q = 0; q < n; ++q) { xr[q] = x + src[p + q] * ci; o[q] = out + dst[p + q] * co; }
    for (int64_t f = p + PFD; f < p + PFD + PB && f < end; ++f) { PF(x + src[f] * ci, ci * 4, 0) PF(out + dst[f] * co, co * 4, 1) }
    for (int q = 1; q < n; ++q) for (int r = 0; r < q; ++r) dup |= (dst[p + q] == dst[p + r]);
    if (dup) { for (int q = 0; q < n; ++q) cols(xr + q, o + q, W, ci, co, 1); continue; }
    switch (n) {   /* constant tile heights: each case is its own register allocation */
      case 6: cols(xr, o, W, ci, co, 6); break;  case 5: cols(xr, o, W, ci, co, 5); break;
      case 4: cols(xr, o, W, ci, co, 4); break;  case 3: cols(xr, o, W, ci, co, 3); break;
      case 2: cols(xr, o, W, ci, co, 2); break;  default: cols(xr, o, W, ci, co, 1);
    }
  }
}

/* Narrow outputs (NV*8 = 8..24 columns): one pair at a time, two accumulator sets alternate over the input channels. */
AI void narrow_range(const float* x, const float* W, const int64_t* src, const int64_t* dst, int64_t p, int64_t end,
                     int64_t ci, float* out, const int NV) {
  const int64_t co = NV * 8;
  for (; p < end; ++p) {
    if (p + PFD < end) { PF(x + src[p + PFD] * ci, ci * 4, 0) PF(out + dst[p + PFD] * co, co * 4, 1) }
    const float* xr = x + src[p] * ci; float* o = out + dst[p] * co; v8 a[3], b[3]; int64_t c = 0;
    _Pragma("GCC unroll 3") for (int j = 0; j < NV; ++j) { a[j] = ld(o + 8 * j); b[j] = bc(0.f); }
    for (; c + 1 < ci; c += 2) { const v8 v0 = bc(xr[c]), v1 = bc(xr[c + 1]); const float* wr = W + c * co;
      _Pragma("GCC unroll 3") for (int j = 0; j < NV; ++j) { a[j] += v0 * ld(wr + 8 * j); b[j] += v1 * ld(wr + co + 8 * j); } }
    for (; c < ci; ++c) { const v8 v0 = bc(xr[c]); const float* wr = W + c * co;
      _Pragma("GCC unroll 3") for (int j = 0; j < NV; ++j) a[j] += v0 * ld(wr + 8 * j); }
    _Pragma("GCC unroll 3") for (int j = 0; j < NV; ++j) st(o + 8 * j, a[j] + b[j]);
  }
}

static inline int width_ok(int64_t co) { return co >= 8 && co <= 64 && co % 8 == 0; }

/* One offset's pairs [p0, p1) at output width co (checked by the callers). */
static void range_mm(const float* x, const float* W, const int64_t* src, const int64_t* dst, int64_t p0, int64_t p1,
                     int64_t ci, int64_t co, float* out) {
  switch (co) {   /* narrow: one pair at a time measured as fast as tiles there */
    case 8: narrow_range(x, W, src, dst, p0, p1, ci, out, 1); return;
    case 16: narrow_range(x, W, src, dst, p0, p1, ci, out, 2); return;
    case 24: narrow_range(x, W, src, dst, p0, p1, ci, out, 3); return;
    default: tiles_range(x, W, src, dst, p0, p1, ci, co, out);
  }
}

/* out[dst[p]] += x[src[p]] @ w[k] for k in [k0, k1) with active[k] (NULL: all; an offset whose weights are all zero adds
   nothing), p in [starts[k], starts[k+1]); x [*, ci], w [K, ci, co], co = 8..64 in steps of 8. Returns 1 for an
   unsupported width. */
int lk_pairs_mm(const float* x, const float* w, const int64_t* src, const int64_t* dst, const int64_t* starts,
                const int8_t* active, int64_t k0, int64_t k1, int64_t ci, int64_t co, float* out) {
  if (!width_ok(co)) return 1;
  for (int64_t k = k0; k < k1; ++k)
    if (!active || active[k]) range_mm(x, w + k * ci * co, src, dst, starts[k], starts[k + 1], ci, co, out);
  return 0;
}

/* Row-blocked: the same sum for the output rows of blocks [b0, b1) only, block by block, every active offset within a
   block; offset k's pairs for block b are [tab[k*(B+1)+b], tab[k*(B+1)+b+1]) (`lk_row_blocks`). A block's output rows
   stay in cache across all offsets, and workers given disjoint blocks write disjoint rows of one output. The ranges are
   short (~100 pairs), so the first PFD pairs of the next offset's range are prefetched before a range runs (the
   prefetch inside a range only looks ahead within it). */
int lk_pairs_mm_blocks(const float* x, const float* w, const int64_t* src, const int64_t* dst, const int64_t* tab,
                       const int8_t* active, int64_t K, int64_t B, int64_t b0, int64_t b1, int64_t ci, int64_t co, float* out) {
  if (!width_ok(co)) return 1;
  for (int64_t b = b0; b < b1; ++b)
    for (int64_t k = 0, kn = 0; k < K; ++k) {   /* kn: the next offset after k with pairs in this block (found once: O(K)) */
      if (active && !active[k]) continue;
      const int64_t p0 = tab[k * (B + 1) + b], p1 = tab[k * (B + 1) + b + 1];
      if (p0 == p1) continue;
      if (PFD > 0) {
        if (kn <= k) { kn = k + 1; while (kn < K && ((active && !active[kn]) || tab[kn * (B + 1) + b] == tab[kn * (B + 1) + b + 1])) ++kn; }
        if (kn < K) for (int64_t q = tab[kn * (B + 1) + b], qe = tab[kn * (B + 1) + b + 1]; q < qe && q < tab[kn * (B + 1) + b] + PFD; ++q)
          { PF(x + src[q] * ci, ci * 4, 0) PF(out + dst[q] * co, co * 4, 1) }
      }
      range_mm(x, w + k * ci * co, src, dst, p0, p1, ci, co, out);
    }
  return 0;
}

/* The block table of `lk_pairs_mm_blocks`: tab[k*(B+1)+b] = first pair p of offset k whose destination's place
   r(dst[p]) = rank[dst[p]] (rank NULL: dst[p] itself) is >= b*R. One pass over the pairs, which must ascend in r within
   every offset (equal r allowed) and lie in [0, B*R); returns 1, table unfinished, if they do not. */
int lk_row_blocks(const int64_t* dst, const int64_t* rank, const int64_t* starts, int64_t K, int64_t R, int64_t B, int64_t* tab) {
  for (int64_t k = 0; k < K; ++k) {
    int64_t* t = tab + k * (B + 1); int64_t b = 0, prev = 0;
    for (int64_t p = starts[k]; p < starts[k + 1]; ++p) {
      const int64_t r = rank ? rank[dst[p]] : dst[p];
      if (r < prev || r >= B * R) return 1;   /* prev starts at 0: a negative place fails too */
      prev = r;
      while (b <= B && b * R <= r) t[b++] = p;
    }
    while (b <= B) t[b++] = starts[k + 1];
  }
  return 0;
}

/* gw[k] += x[in[p]]^T go[out[p]] for k in [k0, k1); gw [K, ci, NV*8]. Rows of gw in blocks of CB held in registers. */
#define GW(NV, CB) { const int64_t co = NV * 8; \
  for (int64_t k = k0; k < k1; ++k) { float* g = gw + k * ci * co; int64_t c0 = 0; \
    for (; c0 + CB <= ci; c0 += CB) { v8 a[CB][NV]; \
      _Pragma("GCC unroll 8") for (int r = 0; r < CB; ++r) _Pragma("GCC unroll 8") for (int j = 0; j < NV; ++j) a[r][j] = ld(g + (c0 + r) * co + 8 * j); \
      for (int64_t p = starts[k]; p < starts[k + 1]; ++p) { const float* xr = x + in_idx[p] * ci + c0; const float* gr = go + out_idx[p] * co; \
        if (p + PFD < starts[k + 1]) { PF(x + in_idx[p + PFD] * ci + c0, CB * 4, 0) PF(go + out_idx[p + PFD] * co, co * 4, 0) } \
        v8 gv[NV]; _Pragma("GCC unroll 8") for (int j = 0; j < NV; ++j) gv[j] = ld(gr + 8 * j); \
        _Pragma("GCC unroll 8") for (int r = 0; r < CB; ++r) { const v8 xv = bc(xr[r]); \
          _Pragma("GCC unroll 8") for (int j = 0; j < NV; ++j) a[r][j] += xv * gv[j]; } } \
      _Pragma("GCC unroll 8") for (int r = 0; r < CB; ++r) _Pragma("GCC unroll 8") for (int j = 0; j < NV; ++j) st(g + (c0 + r) * co + 8 * j, a[r][j]); } \
    for (; c0 < ci; ++c0) { v8 a[NV]; _Pragma("GCC unroll 8") for (int j = 0; j < NV; ++j) a[j] = ld(g + c0 * co + 8 * j); \
      for (int64_t p = starts[k]; p < starts[k + 1]; ++p) { const v8 xv = bc(x[in_idx[p] * ci + c0]); const float* gr = go + out_idx[p] * co; \
        if (p + PFD < starts[k + 1]) { PF(x + in_idx[p + PFD] * ci + c0, 4, 0) PF(go + out_idx[p + PFD] * co, co * 4, 0) } \
        _Pragma("GCC unroll 8") for (int j = 0; j < NV; ++j) a[j] += xv * ld(gr + 8 * j); } \
      _Pragma("GCC unroll 8") for (int j = 0; j < NV; ++j) st(g + c0 * co + 8 * j, a[j]); } } return 0; }

/* Wider outputs (24..64 columns) re-swept the pairs once per gw row above (ci passes over rows all over memory). Here the
   pairs of an offset go in chunks: a chunk's x and go rows are gathered into two local buffers (WBUF floats each, in
   cache), then register tiles of RB gw rows x 16 columns (2*RB accumulators, 2 go vectors, 1 broadcast) sweep the chunk:
   per pair 2 go loads + RB broadcasts feed 2*RB multiply-adds. */
#define WBUF 8192
AI void wtile(const float* xb, const float* gb, int64_t n, int64_t ci, int64_t co, float* g, int64_t c0, int64_t j0, const int RB, const int CB) {
  v8 acc[6][2];
  _Pragma("GCC unroll 6") for (int r = 0; r < RB; ++r) _Pragma("GCC unroll 2") for (int j = 0; j < CB; ++j) acc[r][j] = ld(g + (c0 + r) * co + j0 + 8 * j);
  for (int64_t p = 0; p < n; ++p) {
    const float* xr = xb + p * ci + c0; const float* gr = gb + p * co + j0; v8 gv[2];
    _Pragma("GCC unroll 2") for (int j = 0; j < CB; ++j) gv[j] = ld(gr + 8 * j);
    _Pragma("GCC unroll 6") for (int r = 0; r < RB; ++r) { const v8 u = bc(xr[r]);
      _Pragma("GCC unroll 2") for (int j = 0; j < CB; ++j) acc[r][j] += u * gv[j]; }
  }
  _Pragma("GCC unroll 6") for (int r = 0; r < RB; ++r) _Pragma("GCC unroll 2") for (int j = 0; j < CB; ++j) st(g + (c0 + r) * co + j0 + 8 * j, acc[r][j]);
}
AI void wcols(const float* xb, const float* gb, int64_t n, int64_t ci, int64_t co, float* g, int64_t c0, const int RB) {
  int64_t j0 = 0;
  for (; j0 + 16 <= co; j0 += 16) wtile(xb, gb, n, ci, co, g, c0, j0, RB, 2);
  if (j0 < co) wtile(xb, gb, n, ci, co, g, c0, j0, RB, 1);
}
static void wgrad_tiles(const float* x, const float* go, const int64_t* in_idx, const int64_t* out_idx, const int64_t* starts,
                        int64_t k0, int64_t k1, int64_t ci, int64_t co, float* gw) {
  float xb[WBUF], gb[WBUF];
  const int64_t ch = WBUF / (ci > co ? ci : co) < 128 ? WBUF / (ci > co ? ci : co) : 128;   /* pairs per chunk */
  for (int64_t k = k0; k < k1; ++k) {
    float* g = gw + k * ci * co;
    for (int64_t p0 = starts[k]; p0 < starts[k + 1]; p0 += ch) {
      const int64_t n = starts[k + 1] - p0 < ch ? starts[k + 1] - p0 : ch;
      for (int64_t f = 0; f < n; ++f) {
        if (f + PFD < n) { PF(x + in_idx[p0 + f + PFD] * ci, ci * 4, 0) PF(go + out_idx[p0 + f + PFD] * co, co * 4, 0) }
        memcpy(xb + f * ci, x + in_idx[p0 + f] * ci, ci * 4); memcpy(gb + f * co, go + out_idx[p0 + f] * co, co * 4);
      }
      int64_t c0 = 0;
      for (; c0 + 6 <= ci; c0 += 6) wcols(xb, gb, n, ci, co, g, c0, 6);
      switch (ci - c0) {
        case 5: wcols(xb, gb, n, ci, co, g, c0, 5); break;  case 4: wcols(xb, gb, n, ci, co, g, c0, 4); break;
        case 3: wcols(xb, gb, n, ci, co, g, c0, 3); break;  case 2: wcols(xb, gb, n, ci, co, g, c0, 2); break;
        case 1: wcols(xb, gb, n, ci, co, g, c0, 1); break;
      }
    }
  }
}

/* gw[k] += x[in]^T go[out] over the pairs of offsets [k0, k1); gw [K, ci, co], co = 8..64 in steps of 8, ci <= WBUF.
   Returns 1 for an unsupported shape. */
int lk_pairs_wgrad(const float* x, const float* go, const int64_t* in_idx, const int64_t* out_idx, const int64_t* starts,
                   int64_t k0, int64_t k1, int64_t ci, int64_t co, float* gw) {
  if (ci > WBUF) return 1;
  switch (co) {
    case 8: GW(1, 8) case 16: GW(2, 5)   /* narrow: rows in registers, one sweep per block of rows (measured faster there) */
    case 24: case 32: case 40: case 48: case 56: case 64: wgrad_tiles(x, go, in_idx, out_idx, starts, k0, k1, ci, co, gw); return 0;
  }
  return 1;
}

/* active[k] = 1 where the n weights of offset k (w + k*n) hold a nonzero (NaN counts, -0.0 does not); returns how many
   offsets are active. Stops at an offset's first nonzero, so dense offsets cost almost nothing. */
int64_t lk_active(const float* w, int64_t K, int64_t n, int8_t* active) {
  int64_t a = 0;
  for (int64_t k = 0; k < K; ++k) { const float* p = w + k * n; int8_t on = 0;
    for (int64_t i = 0; i < n; ++i) if (p[i] != 0.f) { on = 1; break; }
    active[k] = on; a += on; }
  return a;
}

/* Submanifold neighbour search. skeys: the M voxel keys, sorted ascending, unique; perm: original row of each.
   The keys' fastest axis is the window axis (z for the maps built here). For the query voxels m in [m0, m1) and each
   of the R kernel rows (the other two axes' offsets, e.g. (dx, dy)) from the centre row on (row 0 is the centre row),
   the neighbours are the keys in [skeys[m] + row_lo[r], ... + L) at multiples of dw; window step t is kernel offset
   row_k0[r] + t * kstep. Half the offsets are searched: the rows after the centre row, and the centre row's offsets
   k > c (the centre); offset K-1-k pairs the same voxels the other way round.
   Count mode (pos == NULL): counts[k] and counts[K-1-k] += pairs found. Fill mode: pair number pos[k]++ of offset k
   gets out = perm[m], in = perm[j]; its mirror pos[K-1-k]++ gets out = perm[j], in = perm[m]. Queries advance in
   key order, so a pointer per row walks the keys once (no hashing, no binary search per voxel). */
int lk_subm_pairs(const int64_t* skeys, const int64_t* perm, int64_t M, int64_t m0, int64_t m1,
                  const int64_t* row_lo, const int64_t* row_k0, int64_t R, int64_t L, int64_t dw, int64_t kstep, int64_t c, int64_t K,
                  int64_t* counts, int64_t* pos, int64_t* in_idx, int64_t* out_idx) {
  if (m0 >= m1) return 0;
  for (int64_t r = 0; r < R; ++r) {
    const int64_t lo = row_lo[r], kr = row_k0[r], q0 = skeys[m0] + lo;
    int64_t a = 0, b = M;
    while (a < b) { const int64_t h = a + (b - a) / 2; if (skeys[h] < q0) a = h + 1; else b = h; }
    int64_t ptr = a;
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t q = skeys[m] + lo;
      while (ptr < M && skeys[ptr] < q) ++ptr;
      for (int64_t j = ptr; j < M && skeys[j] < q + L; ++j) {
        const int64_t d = skeys[j] - q;
        if (d % dw) continue;
        const int64_t k = kr + d / dw * kstep;
        if (r == 0 && k <= c) continue;
        if (!pos) { counts[k]++; counts[K - 1 - k]++; continue; }
        int64_t p = pos[k]++; out_idx[p] = perm[m]; in_idx[p] = perm[j];
        p = pos[K - 1 - k]++; out_idx[p] = perm[j]; in_idx[p] = perm[m];
      }
    }
  }
  return 0;
}
