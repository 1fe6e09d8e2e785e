// A 64-wide head row as 16 quads, with the two per-key steps of online-softmax attention
// written out with constant indices: SwiftShader keeps an array indexed by a loop variable in
// memory and reaches it lane by lane (attention_rows: 43 → 14.5 ms for a 128-token prefill).
// The kernels use these where HD = 64 and keep their loops otherwise.

// q·k
fn dot16(a: array<vec4<f32>, 16>, b: array<vec4<f32>, 16>) -> f32 {
    let s = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5] + a[6] * b[6] + a[7] * b[7]
          + a[8] * b[8] + a[9] * b[9] + a[10] * b[10] + a[11] * b[11] + a[12] * b[12] + a[13] * b[13] + a[14] * b[14] + a[15] * b[15];
    return s.x + s.y + s.z + s.w;
}

// acc·corr + p·v
fn update16(acc: array<vec4<f32>, 16>, corr: f32, p: f32, v: array<vec4<f32>, 16>) -> array<vec4<f32>, 16> {
    return array<vec4<f32>, 16>(acc[0] * corr + p * v[0], acc[1] * corr + p * v[1], acc[2] * corr + p * v[2], acc[3] * corr + p * v[3],
                                acc[4] * corr + p * v[4], acc[5] * corr + p * v[5], acc[6] * corr + p * v[6], acc[7] * corr + p * v[7],
                                acc[8] * corr + p * v[8], acc[9] * corr + p * v[9], acc[10] * corr + p * v[10], acc[11] * corr + p * v[11],
                                acc[12] * corr + p * v[12], acc[13] * corr + p * v[13], acc[14] * corr + p * v[14], acc[15] * corr + p * v[15]);
}
