"""consult.inbox"""
