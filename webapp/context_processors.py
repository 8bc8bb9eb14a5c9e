from graders.selectors import sandbox_choice


def platform(request):
    return {"sandbox": sandbox_choice()}
