"""The grader's codes in words (Korean, English): a page says "sign flipped", never ``sign_error``.

Codes stay in the data (gradebook, JSON); only what a person reads goes through here. An unknown
code (a newer grader's) is shown as it is rather than hidden.
"""

from __future__ import annotations

MISTAKES: dict[str, tuple[str, str]] = {
    "sign_error": ("부호가 반대", "sign flipped"),
    "missing_upstream": ("상류 기울기를 곱하지 않음", "upstream gradient not multiplied in"),
    "swapped_operands": ("두 입력의 기울기가 뒤바뀜", "the two inputs' gradients swapped"),
    "used_output_for_input": ("입력 자리에 출력을 씀", "output used where the input was meant"),
    "used_input_for_output": ("출력 자리에 입력을 씀", "input used where the output was meant"),
    "overwrote_fanout": ("갈림길의 기울기를 더하지 않고 덮어씀", "fan-out gradients overwritten, not added"),
    "ascent": ("기울기 방향으로 이동 (하강이 아님)", "moved up the gradient, not down"),
    "off_by_factor": ("상수배만큼 틀림", "off by a constant factor"),
    "unclassified": ("유형을 알 수 없는 틀림", "wrong in another way"),
    "modified_input": ("받은 입력을 바꿈", "changed the inputs it was given"),
    "finite_difference": ("해석적 기울기 대신 수치 근사", "a finite-difference estimate, not the analytic gradient"),
    "overflow": ("큰 입력에서 넘침 (overflow)", "overflows at large inputs"),
    "unstable": ("큰 입력에서 정밀도를 잃음", "loses precision at large inputs"),
    # quiz answers
    "wrong": ("틀린 답", "wrong answer"),
    "missing": ("답 없음", "no answer"),
    "invalid": ("읽을 수 없는 답", "answer that could not be read"),
}

TASK_KINDS: dict[str, tuple[str, str]] = {
    "forward": ("순전파 값", "forward values"),
    "local_grad": ("국소 기울기", "local gradients"),
    "backward": ("역전파 (하류 기울기)", "backward pass (downstream gradients)"),
    "gradients": ("입력에 대한 기울기", "gradients of the inputs"),
    "step": ("경사 하강 한 걸음", "one gradient-descent step"),
    "descent": ("경사 하강 반복", "gradient-descent loop"),
    "gradient_check": ("수치 기울기 검사", "numerical gradient check"),
    # quiz questions
    "choice": ("선택형", "multiple choice"),
    "numeric": ("수치형", "number"),
    "expression": ("식", "expression"),
}

STATUS: dict[str, tuple[str, str]] = {
    "graded": ("채점됨", "graded"),
    "error": ("채점 불가", "not graded"),
}

ERRORS: dict[str, tuple[str, str]] = {
    "syntax_error": ("문법 오류", "syntax error"),
    "missing_function": ("함수 없음", "missing function"),
    "no_function": ("과제 함수가 하나도 없음", "no task function"),
    "bad_signature": ("매개변수가 맞지 않음", "wrong parameters"),
    "not_function": ("함수가 아님", "not a function"),
    "timeout": ("시간 초과", "time limit exceeded"),
    "load_timeout": ("불러오기 시간 초과", "loading took too long"),
    "memory": ("메모리 초과", "memory limit exceeded"),
    "output": ("출력이 너무 많음", "too much output"),
    "crash": ("비정상 종료", "crashed"),
    "forbidden": ("금지된 기능 사용", "forbidden feature used"),
    "bad_file": ("읽을 수 없는 파일", "unreadable file"),
    "raised": ("예외 발생", "raised an exception"),
    "nan": ("숫자가 아닌 값 (NaN/∞)", "not a finite number"),
    "not_a_number": ("숫자가 아닌 값", "not a number"),
    "shape": ("반환한 값의 개수가 틀림", "wrong number of values"),
    "not_a_dict": ("사전(dict)이 아님", "not a dict"),
    "missing_keys": ("사전에 키가 빠짐", "keys missing from the dict"),
    "wrong_student": ("다른 학생의 답안", "another student's answers"),
    "wrong_quiz": ("다른 퀴즈의 답안", "answers to another quiz"),
    "no_answers": ("답이 없음", "no answers"),
}


def _pair(table: dict[str, tuple[str, str]], code: str | None) -> dict[str, str]:
    ko, en = table.get(code or "", (code or "", code or ""))
    return {"ko": ko, "en": en}


def mistake(code: str | None) -> dict[str, str]:
    return _pair(MISTAKES, code)


def task_kind(code: str | None) -> dict[str, str]:
    return _pair(TASK_KINDS, code)


def status(code: str | None) -> dict[str, str]:
    return _pair(STATUS, code)


def error(code: str | None) -> dict[str, str]:
    return _pair(ERRORS, code)
