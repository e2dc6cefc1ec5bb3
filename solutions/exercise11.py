"""연습 11: max 와 ReLU 의 라우팅 / Exercise 11: routing through max and ReLU."""


def relu_backward(x, upstream):
    """ReLU f = max(0, x): x > 0 이면 up, 아니면 0.
    ReLU f = max(0, x): up if x > 0, else 0."""
    return upstream if x > 0 else 0.0


def max_backward(a, b, upstream):
    """max(a, b): 큰 쪽에 up, 다른 쪽에 0 (같으면 반씩).
    max(a, b): up to the larger input, 0 to the other (half each on a tie)."""
    if a > b:
        return (upstream, 0.0)
    if b > a:
        return (0.0, upstream)
    return (upstream / 2, upstream / 2)


def gradients(w, x, b, c):
    """f = c · max(relu(w·x), b): 순전파 후 라우팅을 따라 역전파합니다.
    Forward, then backward along the route."""
    a = w * x
    r = a if a > 0 else 0.0
    d_m = c  # f = m · c
    d_r, d_b = max_backward(r, b, d_m)
    d_a = relu_backward(a, d_r)
    return {"w": d_a * x, "x": d_a * w, "b": d_b}
