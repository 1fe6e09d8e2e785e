// A weight matrix W[W_N rows, W_K cols] in the GPU layout of src/quant/layout.rs, read four
// columns at a time by `w_quad(row, q)` = W[row, 4q .. 4q+4], dequantized exactly as
// quant::dequant does on the CPU (same f32 operations, so bit-identical results).
// Needs: W_K (row length, a multiple of 32 for block formats, of 4 otherwise), one W_<FORMAT>
// flag, and W_QUANTIZED for the block formats (only they bind `w_scales`).
@group(0) @binding(4) var<storage, read> w_data: array<u32>;

const W_K4: u32 = W_K / 4u;
const W_BPR: u32 = W_K / 32u;

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

// Two packed f16 → f32 (exact). `unpack2x16float` needs no extension; `bitcast<vec2<f16>>`
// gave wrong values on lavapipe (caught by tests/kernels.rs), so it is not used.
fn f16_pair(w: u32) -> vec2<f32> {
    return unpack2x16float(w);
}

// Four 4-bit values: nibble `hi` (0 low, 1 high) of each byte of word w.
fn nibbles(w: u32, hi: u32) -> vec4<f32> {
    let s = w >> (4u * hi);
    return vec4<f32>(vec4<u32>(s, s >> 8u, s >> 16u, s >> 24u) & vec4<u32>(15u));
}

fn w_quad(row: u32, q: u32) -> vec4<f32> {
#ifdef W_F32
    let i = (row * W_K4 + q) * 4u;
    return bitcast<vec4<f32>>(vec4<u32>(w_data[i], w_data[i + 1u], w_data[i + 2u], w_data[i + 3u]));
#endif
#ifdef W_F16
    let i = (row * W_K4 + q) * 2u;
    return vec4<f32>(f16_pair(w_data[i]), f16_pair(w_data[i + 1u]));
#endif
#ifdef W_BF16
    let i = (row * W_K4 + q) * 2u;
    let a = w_data[i];
    let b = w_data[i + 1u];
    return bitcast<vec4<f32>>(vec4<u32>(a << 16u, a & 0xffff0000u, b << 16u, b & 0xffff0000u));
#endif
#ifdef W_Q8_0
    let blk = row * W_BPR + q / 8u;
    let w = w_data[blk * 8u + q % 8u];
    let v = vec4<i32>(bitcast<i32>(w << 24u), bitcast<i32>(w << 16u), bitcast<i32>(w << 8u), bitcast<i32>(w)) >> vec4<u32>(24u);
    return scale_at(blk) * vec4<f32>(v);
#endif
#ifdef W_Q4_0
    let blk = row * W_BPR + q / 8u;
    let j = q % 8u;
    return scale_at(blk) * (nibbles(w_data[blk * 4u + j % 4u], j / 4u) - 8.0);
#endif
#ifdef W_Q4_1
    let blk = row * W_BPR + q / 8u;
    let j = q % 8u;
    return scale_at(2u * blk) * nibbles(w_data[blk * 4u + j % 4u], j / 4u) + scale_at(2u * blk + 1u);
#endif
}
