// A 32-wide head row as 8 quads: common/row16.wgsl's two per-key steps of online-softmax
// attention, written out with constant indices for the same reason (SwiftShader reaches an
// array indexed by a loop variable lane by lane).

// q·k
fn dot8(a: array<vec4<f32>, 8>, b: array<vec4<f32>, 8>) -> f32 {
    let s = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5] + a[6] * b[6] + a[7] * b[7];
    return s.x + s.y + s.z + s.w;
}

// acc·corr + p·v
fn update8(acc: array<vec4<f32>, 8>, corr: f32, p: f32, v: array<vec4<f32>, 8>) -> array<vec4<f32>, 8> {
    return array<vec4<f32>, 8>(acc[0] * corr + p * v[0], acc[1] * corr + p * v[1], acc[2] * corr + p * v[2], acc[3] * corr + p * v[3],
                               acc[4] * corr + p * v[4], acc[5] * corr + p * v[5], acc[6] * corr + p * v[6], acc[7] * corr + p * v[7]);
}
