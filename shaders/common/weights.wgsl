// A weight matrix W[W_N rows, W_K cols] in the GPU layout of src/quant/layout.rs, read four
// columns at a time by `w_quad(row, q)` = W[row, 4q .. 4q+4], dequantized exactly as
// quant::dequant does on the CPU (same f32 operations, so bit-identical results: the embedding
// lookup). The block-at-a-time paths of the matrix kernels (`w_block_dot`, `w_block`) read
// quants in units of QUANT_UNIT (`unit_bytes`), which with UNORM_QUANTS come within an ulp or
// two of d·q.
// `w_block_dot(row, b, xq, block_sum(xq))` = Σ_{i<32} W[row, 32b + i]·xq[i/4][i%4] works a block at a time
// (Q4: one vec4<u32> load of nibbles; scales applied once per block) for the matrix-vector path.
// Needs one W_<FORMAT> flag, W_QUANTIZED for the block formats (only they bind `w_scales`),
// W_HALF for the 16-bit float formats (F16, BF16: `half_quad`),
// W_TILED for block formats stored in tiles of 32 rows (`block_index`), and
// W_ALIGNED16 for F16 / BF16 rows of a multiple of 8 values (whole 16-byte loads);
// the shape is `mat` (common/matrix_shape.wgsl; the row length is a multiple of 32 for block
// formats, of 4 otherwise). With W_LEN w_data is declared with the bound buffer's length in
// vec4s (`GpuContext::sized_bindings`).
#include "common/matrix_shape.wgsl"
#ifdef W_LEN
@group(0) @binding(4) var<storage, read> w_data: array<vec4<u32>, W_LEN>;
#else
@group(0) @binding(4) var<storage, read> w_data: array<vec4<u32>>;
#endif

#ifdef W_QUANTIZED
#ifdef F16
@group(0) @binding(5) var<storage, read> w_scales: array<f16>;
#else
@group(0) @binding(5) var<storage, read> w_scales: array<u32>;
#endif

// The i-th f16 stored in w_scales, widened to f32 (exact).
fn scale_at(i: u32) -> f32 {
#ifdef F16
    return f32(w_scales[i]);
#else
    return unpack2x16float(w_scales[i >> 1u])[i & 1u];
#endif
}
#endif

#ifdef W_QUANTIZED
// Where block b of `row` is stored (its scale's index; its payload's, in blocks): row by row as
// in GGUF, or with W_TILED (quant::BlockOrder::Tiles) in tiles of 32 rows stored block column
// by block column, so a rows kernel's workgroup (64 rows) reads two contiguous runs.
fn block_index(row: u32, b: u32) -> u32 {
#ifdef W_TILED
    return ((row >> 5u) * mat.blocks + b) * 32u + (row & 31u);
#else
    return row * mat.blocks + b;
#endif
}
#endif

// Two packed f16 → f32 (exact). `unpack2x16float` needs no extension; `bitcast<vec2<f16>>`
// gave wrong values on lavapipe (caught by tests/kernels.rs), so it is not used.
fn w_word(i: u32) -> u32 {
    return w_data[i >> 2u][i & 3u];
}

// The four bytes of w as exact integers 0..=255 (`w_quad`; Q8_0 quants are stored as
// u = q + 128, src/quant/layout.rs).
fn bytes_u8(w: u32) -> vec4<f32> {
    return vec4<f32>((vec4<u32>(w) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u));
}

// Four nibbles q of w (`hi`: 0 low, 1 high nibble of each byte) as exact integers 0..=15.
fn nibbles(w: u32, hi: u32) -> vec4<f32> {
    let s = w >> (4u * hi);
    return vec4<f32>(vec4<u32>(s, s >> 8u, s >> 16u, s >> 24u) & vec4<u32>(15u));
}

// The block-at-a-time paths read quants as QUANT_UNIT-ths: with UNORM_QUANTS
// (`GpuContext::unorm_quants`) u/255 from `unpack4x8unorm`, one builtin where byte shifts,
// masks and conversions cost CPU emulations 3–5 instructions each (SwiftShader compiled the
// Q8_0 head's matrix-vector kernel in 0.6× the time and ran it 1.6× as fast); otherwise the
// exact integers. Callers multiply the block's scale by QUANT_UNIT.
#ifdef UNORM_QUANTS
const QUANT_UNIT: f32 = 255.0;
fn unit_bytes(w: u32) -> vec4<f32> {
    return unpack4x8unorm(w);
}
fn unit_nibbles(w: u32, hi: u32) -> vec4<f32> {
    return unpack4x8unorm((w >> (4u * hi)) & 0x0F0F0F0Fu);
}
#else
const QUANT_UNIT: f32 = 1.0;
fn unit_bytes(w: u32) -> vec4<f32> {
    return bytes_u8(w);
}
fn unit_nibbles(w: u32, hi: u32) -> vec4<f32> {
    return nibbles(w, hi);
}
#endif

fn f16_pair(w: u32) -> vec2<f32> {
    return unpack2x16float(w);
}

#ifdef W_F16
// Four consecutive f16 values held in words a, b, as f32 (exact).
fn half_quad(a: u32, b: u32) -> vec4<f32> {
    return vec4<f32>(f16_pair(a), f16_pair(b));
}
#endif
#ifdef W_BF16
// Four consecutive bf16 values held in words a, b, as f32 (exact: a bf16 is an f32's high half;
// two integer ops a pair, where unpack2x16float costs CPU emulations a dozen).
fn half_quad(a: u32, b: u32) -> vec4<f32> {
    return bitcast<vec4<f32>>(vec4<u32>(a << 16u, a & 0xffff0000u, b << 16u, b & 0xffff0000u));
}
#endif

fn w_quad(row: u32, q: u32) -> vec4<f32> {
#ifdef W_F32
    let i = (row * mat.k4 + q) * 4u;
    return bitcast<vec4<f32>>(vec4<u32>(w_word(i), w_word(i + 1u), w_word(i + 2u), w_word(i + 3u)));
#endif
#ifdef W_HALF
    let i = (row * mat.k4 + q) * 2u;
    return half_quad(w_word(i), w_word(i + 1u));
#endif
#ifdef W_Q8_0
    let blk = block_index(row, q / 8u);
    return scale_at(blk) * (bytes_u8(w_word(blk * 8u + q % 8u)) - 128.0);
#endif
#ifdef W_Q4_0
    let blk = block_index(row, q / 8u);
    let j = q % 8u;
    return scale_at(blk) * (nibbles(w_word(blk * 4u + j % 4u), j / 4u) - 8.0);
#endif
#ifdef W_Q4_1
    let blk = block_index(row, q / 8u);
    let j = q % 8u;
    let dm = q4_1_scales(blk);
    return dm.x * nibbles(w_word(blk * 4u + j % 4u), j / 4u) + dm.y;
#endif
}

// Σ q_i·x_i / QUANT_UNIT over one Q4 block: nibbles of the 4 words against the block's 8 x quads (low
// nibbles are elements 0..16, high nibbles 16..32).
fn q4_dot(w: vec4<u32>, xq: array<vec4<f32>, 8>) -> f32 {
    return dot(unit_nibbles(w.x, 0u), xq[0]) + dot(unit_nibbles(w.y, 0u), xq[1]) + dot(unit_nibbles(w.z, 0u), xq[2]) + dot(unit_nibbles(w.w, 0u), xq[3])
         + dot(unit_nibbles(w.x, 1u), xq[4]) + dot(unit_nibbles(w.y, 1u), xq[5]) + dot(unit_nibbles(w.z, 1u), xq[6]) + dot(unit_nibbles(w.w, 1u), xq[7]);
}

// What `w_block_dot` needs of x besides its values: Σ x_i over the block for the block formats
// (their offset term, Σ (d·q_i + m)·x_i = d·Σ q_i·x_i + m·Σ x_i, with m = −8d for Q4_0 and
// −128d for Q8_0's stored q + 128), 0 for the others. The matrix-vector kernels compute it
// once per block and pass it to every row.
fn block_sum(xq: array<vec4<f32>, 8>) -> f32 {
#ifdef W_QUANTIZED
    return dot(xq[0] + xq[1] + xq[2] + xq[3] + xq[4] + xq[5] + xq[6] + xq[7], vec4<f32>(1.0));
#else
    return 0.0;
#endif
}

#ifdef W_Q4_1
// (d, m) of Q4_1 block `blk`: one 32-bit load without shader-f16.
fn q4_1_scales(blk: u32) -> vec2<f32> {
#ifdef F16
    return vec2<f32>(f32(w_scales[2u * blk]), f32(w_scales[2u * blk + 1u]));
#else
    return unpack2x16float(w_scales[blk]);
#endif
}
#endif

// Σ_{i<32} W[row, 32b + i]·x_i with xq the block's x quads and xs = block_sum(xq).
fn w_block_dot(row: u32, b: u32, xq: array<vec4<f32>, 8>, xs: f32) -> f32 {
#ifdef W_Q8_0
    let blk = block_index(row, b);
    let lo = w_data[blk * 2u];
    let hi = w_data[blk * 2u + 1u];
    let s = dot(unit_bytes(lo.x), xq[0]) + dot(unit_bytes(lo.y), xq[1]) + dot(unit_bytes(lo.z), xq[2]) + dot(unit_bytes(lo.w), xq[3])
          + dot(unit_bytes(hi.x), xq[4]) + dot(unit_bytes(hi.y), xq[5]) + dot(unit_bytes(hi.z), xq[6]) + dot(unit_bytes(hi.w), xq[7]);
    let d = scale_at(blk);
    return (QUANT_UNIT * d) * s - (128.0 * d) * xs;
#endif
#ifdef W_Q4_0
    let blk = block_index(row, b);
    let d = scale_at(blk);
    return (QUANT_UNIT * d) * q4_dot(w_data[blk], xq) - (8.0 * d) * xs;
#endif
#ifdef W_Q4_1
    let blk = block_index(row, b);
    let dm = q4_1_scales(blk);
    return (QUANT_UNIT * dm.x) * q4_dot(w_data[blk], xq) + dm.y * xs;
#endif
#ifndef W_QUANTIZED
    let w = w_block(row, b);
    return dot(w[0], xq[0]) + dot(w[1], xq[1]) + dot(w[2], xq[2]) + dot(w[3], xq[3])
         + dot(w[4], xq[4]) + dot(w[5], xq[5]) + dot(w[6], xq[6]) + dot(w[7], xq[7]);
#endif
}

// The 32 values W[row, 32b .. 32b+32], dequantized (element 4k+i is [k][i]), for kernels that
// reuse one dequantized block across several tokens.
fn w_block(row: u32, b: u32) -> array<vec4<f32>, 8> {
#ifdef W_Q8_0
    let blk = block_index(row, b);
    let scale = scale_at(blk);
    let d = QUANT_UNIT * scale;
    let m = -128.0 * scale;
    let lo = w_data[blk * 2u];
    let hi = w_data[blk * 2u + 1u];
    return array<vec4<f32>, 8>(d * unit_bytes(lo.x) + m, d * unit_bytes(lo.y) + m, d * unit_bytes(lo.z) + m, d * unit_bytes(lo.w) + m,
                               d * unit_bytes(hi.x) + m, d * unit_bytes(hi.y) + m, d * unit_bytes(hi.z) + m, d * unit_bytes(hi.w) + m);
#endif
#ifdef W_Q4_0
    let blk = block_index(row, b);
    let scale = scale_at(blk);
    let d = QUANT_UNIT * scale;
    let m = -8.0 * scale;
    let w = w_data[blk];
    return array<vec4<f32>, 8>(d * unit_nibbles(w.x, 0u) + m, d * unit_nibbles(w.y, 0u) + m, d * unit_nibbles(w.z, 0u) + m, d * unit_nibbles(w.w, 0u) + m,
                               d * unit_nibbles(w.x, 1u) + m, d * unit_nibbles(w.y, 1u) + m, d * unit_nibbles(w.z, 1u) + m, d * unit_nibbles(w.w, 1u) + m);
#endif
#ifdef W_Q4_1
    let blk = block_index(row, b);
    let dm = q4_1_scales(blk);
    let d = QUANT_UNIT * dm.x;
    let m = dm.y;
    let w = w_data[blk];
    return array<vec4<f32>, 8>(d * unit_nibbles(w.x, 0u) + m, d * unit_nibbles(w.y, 0u) + m, d * unit_nibbles(w.z, 0u) + m, d * unit_nibbles(w.w, 0u) + m,
                               d * unit_nibbles(w.x, 1u) + m, d * unit_nibbles(w.y, 1u) + m, d * unit_nibbles(w.z, 1u) + m, d * unit_nibbles(w.w, 1u) + m);
#endif
#ifdef W_F32
    // The block is 8 whole vec4<u32> loads (row starts are 16-byte aligned: W_K % 4 == 0).
    let i = row * mat.k4 + 8u * b;
    return array<vec4<f32>, 8>(bitcast<vec4<f32>>(w_data[i]), bitcast<vec4<f32>>(w_data[i + 1u]), bitcast<vec4<f32>>(w_data[i + 2u]), bitcast<vec4<f32>>(w_data[i + 3u]),
                               bitcast<vec4<f32>>(w_data[i + 4u]), bitcast<vec4<f32>>(w_data[i + 5u]), bitcast<vec4<f32>>(w_data[i + 6u]), bitcast<vec4<f32>>(w_data[i + 7u]));
#endif
#ifdef W_ALIGNED16
    // 4 whole vec4<u32> loads: rows start 16-byte aligned (W_K % 8 == 0). A define, not a
    // uniform branch: with both paths compiled, lavapipe was 3× slower on F16.
    let i = (row * mat.k4 + 8u * b) / 2u;
    let a = w_data[i];
    let c = w_data[i + 1u];
    let e = w_data[i + 2u];
    let g = w_data[i + 3u];
    return array<vec4<f32>, 8>(half_quad(a.x, a.y), half_quad(a.z, a.w), half_quad(c.x, c.y), half_quad(c.z, c.w),
                               half_quad(e.x, e.y), half_quad(e.z, e.w), half_quad(g.x, g.y), half_quad(g.z, g.w));
#else
#ifndef W_QUANTIZED
#ifndef W_F32
    let q = 8u * b;
    return array<vec4<f32>, 8>(w_quad(row, q), w_quad(row, q + 1u), w_quad(row, q + 2u), w_quad(row, q + 3u),
                               w_quad(row, q + 4u), w_quad(row, q + 5u), w_quad(row, q + 6u), w_quad(row, q + 7u));
#endif
#endif
#endif
}
