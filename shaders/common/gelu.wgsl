// GELU, exact (erf) form: gelu(x) = x/2 · (1 + erf(x/√2)). WGSL has no erf: Abramowitz & Stegun
// 7.1.26 (|error| ≤ 1.5e-7), the same accuracy class as f32 itself near the result.
// Used by gelu.wgsl and, fused into the matrix kernels' output, by common/output.wgsl (GELU).

fn erf4(z: vec4<f32>) -> vec4<f32> {
    let a = abs(z);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return sign(z) * (1.0 - poly * exp(-a * a));
}

fn gelu4(v: vec4<f32>) -> vec4<f32> {
    return 0.5 * v * (1.0 + erf4(v * 0.70710678118654752));
}
